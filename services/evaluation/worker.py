"""Celery entrypoint of the evaluation worker: `celery -A services.evaluation.worker worker`."""

from services.evaluation.runtime import Evaluation

runtime = Evaluation()
app = runtime.celery
