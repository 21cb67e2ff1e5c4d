"""Celery entrypoint of the registration worker: `celery -A services.registration.worker worker`."""

from services.registration.runtime import Registration

runtime = Registration()
app = runtime.celery
