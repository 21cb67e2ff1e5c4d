"""Committed contracts match the code: event catalogue, OpenAPI documents, models vs migrations."""

from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from services.cli import main
from shared import config
from shared.events import EVENT_TYPES
from tests.support.environment import Environment


def test_event_catalogue_is_up_to_date() -> None:
    assert main(["events", "--check"]) == 0, "run `ocop events` and commit docs/events.md"


def test_openapi_documents_are_up_to_date(migrated: Environment) -> None:
    assert main(["openapi", "--check"]) == 0, "run `ocop openapi` and commit docs/openapi/"


@pytest.mark.parametrize("service", config.SERVICES)
def test_models_and_migrations_agree(service: str, migrated: Environment) -> None:
    models = importlib.import_module(f"services.{service}.models")
    engine = create_engine(migrated.database_urls[service])
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"{service}: models differ from migrations; add a revision"


def test_every_issue_2_event_is_registered() -> None:
    for name in (
        "dossier.submitted",
        "dossier.returned",
        "dossier.resubmitted",
        "dossier.accepted",
        "dossier.withdrawn",
        "dossier.document_added",
        "account.created",
    ):
        assert name in EVENT_TYPES


@pytest.mark.parametrize("service", ["evaluation", "notification"])
def test_a_service_hears_exactly_the_events_it_handles(service: str) -> None:
    from shared.messaging import topology

    consumers = importlib.import_module(f"services.{service}.consumers")
    assert set(topology.SUBSCRIPTIONS[service]) == set(consumers.HANDLERS)
    assert set(consumers.HANDLERS) <= set(EVENT_TYPES)


@pytest.mark.parametrize("service", ["registration", "evaluation", "notification"])
def test_a_bulk_handler_reads_fields_its_event_has(service: str) -> None:
    from shared.messaging.consumer import Bulk

    consumers = importlib.import_module(f"services.{service}.consumers")
    for type_, handler in consumers.HANDLERS.items():
        if isinstance(handler, Bulk):
            schema = EVENT_TYPES[type_].validator()
            assert handler.reads and handler.reads <= set(schema.fields), type_


def test_the_registration_service_hears_every_event() -> None:
    from shared.messaging import topology

    assert topology.SUBSCRIPTIONS["registration"] == ("#",)
