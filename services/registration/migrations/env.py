"""Alembic environment of the registration service (its own database and history)."""

from services.registration.models import Base
from shared.migrate import run_env

run_env(Base.metadata)
