"""Fault injections that more than one run uses: a process killed hard and started again, and
a use case that fails after it wrote its event (in the test process, on the stack's
databases)."""

from __future__ import annotations

import os
import signal
import uuid
from typing import Any

import jwt

from shared.auth import principal_from_claims
from tests.e2e.stack import Stack
from tests.reliability.workload import MISSING, OFFICER_MOVES, Dossier, Workload


def restart(stack: Stack, name: str) -> None:
    """SIGKILL ``name`` (no goodbye, as a crashed machine) and start it again."""
    service, kind = name.rsplit("-", 1)
    process = stack.processes[name]
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    stack.start(name, kind, service)


class CommitFails(RuntimeError):
    """The injected failure: the database refused the commit."""


def rolled_back_move(
    registration: Any, workload: Workload, dossier: Dossier, move: str
) -> list[uuid.UUID]:
    """Run ``move`` on ``dossier`` as the API would, up to its commit, which then fails after
    the outbox rows went into the transaction; returns the ids of the events it had written."""
    from services.registration.domain.lifecycle import Action
    from services.registration.service import dossiers as dossier_service

    actor = workload.officer if move in OFFICER_MOVES else dossier.applicant
    principal = principal_from_claims(jwt.decode(actor.token, options={"verify_signature": False}))
    decision = dossier_service.Decision(missing_items=MISSING) if move == "return" else None
    written: list[uuid.UUID] = []
    try:
        with registration.db.unit_of_work() as uow:
            dossier_service.transition(
                uow=uow,
                principal=principal,
                dossier_id=uuid.UUID(dossier.id),
                action=Action(move),
                expected_version=dossier.version,
                decision=decision,
            )
            session_commit = uow.session.commit

            def fail() -> None:
                uow.session.flush()  # the outbox rows are in the transaction: then it fails
                written.extend(e.event_id for e in uow.events)
                raise CommitFails

            uow.session.commit = fail  # type: ignore[method-assign]
            try:
                uow.commit()
            finally:
                uow.session.commit = session_commit  # type: ignore[method-assign]
    except CommitFails:
        pass
    assert written, "the move wrote no event"
    return written
