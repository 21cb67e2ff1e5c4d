"""gunicorn entrypoint: ``gunicorn services.portal.wsgi:app`` (``ocop web portal``)."""

from services.portal.app import create_app

app = create_app()
