"""Every service has one shape (README, "Inside a service"), so a newcomer who knows one knows
where anything is in the others: the same packages and root modules, and nothing else at a
service's root but what is listed here with its reason."""

from __future__ import annotations

from pathlib import Path

import pytest

SERVICES = Path(__file__).resolve().parents[2] / "services"

REQUIRED = {
    "__init__.py",
    "domain",  # pure rules, no framework (import-linter's domain contracts)
    "service",  # use cases, one unit of work each
    "api",  # thin HTTP entrypoints
    "schemas",  # marshmallow request and response schemas, one module per resource
    "models.py",  # the service's tables
    "migrations",  # its Alembic history
    "consumers.py",  # thin adapters from an event to a use case
    "runtime.py",  # the composition root
    "app.py",  # the Flask application
    "wsgi.py",  # gunicorn's entry
    "worker.py",  # Celery's entry
    "audit_export.py",  # what it publishes for an audit (ADR 0006, shared.audit.state)
}
# Present only where the service has something of the kind.
OPTIONAL = {
    "adapters",  # what it talks to besides its database and the broker (SMTP, files, keys)
    "commands",  # what the ``ocop`` command runs for it
    "tasks.py",  # its scheduled Celery tasks
}
# Packages of their own, each a separate concern that lives beside its service.
EXTRA = {
    # The case-file ledger: hash-chained history, its checkpoints, exports and verification.
    "registration": {"ledger"},
    # The embedded run's SMTP server (``ocop sink``): a program of its own, not the service.
    "notification": {"sink"},
}
PACKAGES = {"domain", "service", "api", "schemas", "migrations", "adapters", "commands"}


def _entries(service: str) -> set[str]:
    return {p.name for p in (SERVICES / service).iterdir() if p.name != "__pycache__"}


@pytest.mark.parametrize("service", ["registration", "evaluation", "notification"])
def test_a_service_has_the_one_shape(service: str) -> None:
    entries = _entries(service)
    assert REQUIRED - entries == set(), "missing from the shape"
    unexpected = entries - REQUIRED - OPTIONAL - EXTRA.get(service, set())
    assert unexpected == set(), "not part of the shape: move it, or list it here with a reason"


@pytest.mark.parametrize("service", ["registration", "evaluation", "notification"])
def test_the_shape_s_directories_are_packages(service: str) -> None:
    for name in PACKAGES & _entries(service):
        assert (SERVICES / service / name / "__init__.py").is_file(), f"{service}/{name}"
