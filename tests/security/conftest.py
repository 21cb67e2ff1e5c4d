"""Helpers shared by the security suites.

Logins in these suites each come from their own client address (``own_address=True`` of the
builders in ``tests.support.flows``): the login limit counts attempts per remote address, and
the rest of the suite logs in from 127.0.0.1. It keeps these suites independent of test order
and leaves 127.0.0.1's budget to the other suites.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import flows

PROBLEM_JSON = "application/problem+json"
PROBLEM_KEYS = {"type", "title", "status", "detail", "instance", "errors", "request_id"}
# What a program reads to word the problem in its reader's language (ADR 0011).
PROBLEM_KEYS |= {"code", "params", "field_codes", "field_params"}


def grant(owner: flows.Actor, producer: dict[str, Any], consultant: flows.Actor) -> None:
    reply = owner(
        "POST",
        f"/api/v1/producers/{producer['id']}/consultants",
        json={"email": consultant.account["email"]},
    )
    assert reply.status == 200, reply.body


def assert_problem(
    reply: flows.Reply, status: int, slug: str | None = None, *, extra: frozenset[str] = frozenset()
) -> None:
    """``reply`` is a problem+json answer with ``status`` (and type ``slug``), nothing else."""
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers.get("Content-Type", "").startswith(PROBLEM_JSON), reply.headers
    assert isinstance(reply.body, dict), reply.body
    assert set(reply.body) <= PROBLEM_KEYS | extra, reply.body
    assert reply.body["status"] == status
    # Every problem names its code, whose words the catalogue holds in both languages.
    assert isinstance(reply.body.get("code"), str), reply.body
    if slug is not None:
        assert reply.body["type"] == f"urn:ocop:problem:{slug}", reply.body


def outbox_count(registration: Any) -> int:
    with registration.db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(registration.outbox)).scalar_one()


def dossier_state(registration: Any, dossier_id: str) -> tuple[int, str]:
    """The stored (version, status) of a dossier, read behind the API."""
    from services.registration.models import Dossier

    with registration.db.reader() as session:
        row = session.get(Dossier, uuid.UUID(dossier_id))
        assert row is not None
        return row.version, row.status


def document_version_count(registration: Any) -> int:
    from services.registration.models import DocumentVersion

    with registration.db.reader() as session:
        return session.execute(select(func.count()).select_from(DocumentVersion)).scalar_one()


def stored_files(registration: Any) -> set[Path]:
    root: Path = registration.settings.service_dir / "documents"
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture(scope="session")
def sec_admin(call: flows.Transport) -> flows.Actor:
    return flows.login(call, "admin@ocop.local", own_address=True)
