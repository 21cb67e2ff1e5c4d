"""Pure rules of the registration service: no Flask, SQLAlchemy or Celery here."""
