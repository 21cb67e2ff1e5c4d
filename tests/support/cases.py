"""Bring a dossier to the evaluation service the way production does, minus the broker:
drive registration's API to acceptance, then hand the events it wrote to its outbox to the
evaluation service's inbox (the relay and workers are exercised by the messaging and e2e
suites)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from shared import participants
from tests.support import flows


def deliver(source: Any, target: Any, dossier_id: str) -> int:
    """Feed every event ``source`` wrote to its outbox about one dossier to ``target``'s inbox
    (either direction between services); returns how many were new to it."""
    o = source.outbox.c
    with source.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).all()
    inbox = target.inbox()
    handled = 0
    for (envelope,) in rows:
        if envelope.get("dossier_id") == dossier_id and inbox.consume(envelope) == "handled":
            handled += 1
    return handled


def accepted_dossier(
    call: flows.Transport,
    commune_officer: flows.Actor,
    *,
    set_code: str = "04",
) -> tuple[flows.Actor, dict[str, Any]]:
    """A new applicant's dossier, filed with one document, submitted and accepted."""
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    return applicant, flows.accepted_dossier(applicant, commune_officer, producer["id"], set_code)


def deliver_accounts(registration: Any, service_runtime: Any) -> None:
    """Feed every account event so far to another service (its officials), in order."""
    _deliver_types(registration, service_runtime, ("account.created", "account.updated"))


def deliver_seats(evaluation: Any, service_runtime: Any) -> int:
    """Feed every council seat event so far (evaluation's ``council.member_*``) to another
    service, in order: registration and notification keep the seats from them, and a council's
    members reach the cases assigned to it through them (ADR 0009). Returns how many were new."""
    kinds = ("council.member_added", "council.member_removed")
    return _deliver_types(evaluation, service_runtime, kinds)


def _deliver_types(source: Any, target: Any, kinds: tuple[str, ...]) -> int:
    o = source.outbox.c
    with source.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).where(o.type.in_(kinds)).order_by(o.id)).all()
    inbox = target.inbox()
    return sum(inbox.consume(envelope) == "handled" for (envelope,) in rows)


def happened(
    session: Any,
    case: Any,
    event_type: str,
    *,
    tables: participants.Tables | None = None,
    at: datetime | None = None,
    **facts: Any,
) -> None:
    """Apply to the people on ``case`` what an event of ``event_type`` about it changes, in the
    caller's unit of work, as the real flow would have when it wrote the event (ADR 0009).

    For tests that write a case's rows directly and so bypass the events that put officials on
    it: ``happened(uow.session, case, "evaluation.awaiting_decision", level="province")``.
    ``case`` is a row with the case's unit (an evaluation ``Case`` or registration ``Dossier``);
    ``facts`` are the payload fields the rule reads (``level``, ``to_level``, ``council_id``,
    ``handler_account_id``, ``account_id``, ``conflicted``, ``outcome``). ``tables`` default to
    the evaluation service's read model.
    """
    if tables is None:
        from services.evaluation.models import participant_tables

        tables = participant_tables
    dossier_id = getattr(case, "dossier_id", None) or case.id
    payload = {
        "unit_tree": case.unit_tree,
        "province_code": case.province_code,
        "district_code": case.district_code,
        "commune_code": case.commune_code,
        **facts,
    }
    participants.apply(
        session,
        tables,
        dossier_id=dossier_id,
        event_type=event_type,
        payload=payload,
        occurred_at=at or datetime.now(UTC),
    )


def make_case(uow: Any, **overrides: Any) -> Any:
    """A case row written directly (for tests of what happens after the council stage). Nobody
    but its owner is on it: put officials on it with :func:`happened` where a test needs them
    (auditors and admins without a unit reach it anyway)."""
    import uuid

    from services.evaluation.models import Case

    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "dossier_id": uuid.uuid4(),
        "producer_id": uuid.uuid4(),
        "producer_name": "HTX Đông Hà",
        "owner_account_id": uuid.uuid4(),
        "consultant_account_ids": [],
        "product_name": "Mật ong hoa cà phê",
        "product_code": f"45-19333-{uuid.uuid4().int % 1000:03d}-2026",
        "product_set_code": "04",
        "registration_type": "first",
        "rubric_version": "qd26-2026",
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": "461",
        "commune_code": "19333",
        "self_assessment": {},
        "level": "district",
        "stage": "recognised",
        "opened_at": now,
        "updated_at": now,
    }
    values.update(overrides)
    case = Case(**values)
    uow.session.add(case)
    uow.session.flush()
    return case


def accept_dossiers(
    applicant: flows.Actor, commune_officer: flows.Actor, producer_id: str, count: int
) -> list[dict[str, Any]]:
    """``count`` dossiers of one producer, each filed with one document and accepted."""
    return [flows.accepted_dossier(applicant, commune_officer, producer_id) for _ in range(count)]
