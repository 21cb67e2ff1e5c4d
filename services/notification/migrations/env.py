"""Alembic environment of the notification service (its own database and history)."""

from services.notification.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
