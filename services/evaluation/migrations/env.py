"""Alembic environment of the evaluation service (its own database and history)."""

from services.evaluation.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
