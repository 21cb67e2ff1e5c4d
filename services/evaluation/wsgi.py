"""WSGI entrypoint for gunicorn: `gunicorn services.evaluation.wsgi:app`."""

from services.evaluation.app import create_app

app = create_app()
