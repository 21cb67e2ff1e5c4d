"""Celery entrypoint of the notification worker: `celery -A services.notification.worker worker`."""

from services.notification.runtime import Notification

runtime = Notification()
app = runtime.celery
