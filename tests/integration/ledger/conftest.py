"""Full cases for the case-file tests: a dossier filed, accepted, scored at district, province
and national councils (with a revised sheet), recognised by the minister and certified, with
every email sent to a real SMTP sink; each service's events handed to the others' inboxes
in-process, as the broker would (registration hears its own events too)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from services.evaluation.service import certificates as certificate_service
from services.notification.sink import SmtpSink
from tests.integration.notification.conftest import send
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts, deliver_seats
from tests.unit.evaluation.sheets import answers_for


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    with (
        SmtpSink("127.0.0.1", _free_port(), tmp_path_factory.mktemp("mail")) as running,
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setenv("OCOP_SMTP_HOST", "127.0.0.1")
        patch.setenv("OCOP_SMTP_PORT", str(running.port))
        patch.setenv("OCOP_PORTAL_URL", "http://portal.test")
        patch.setenv("OCOP_MAIL_FROM", "no-reply@ocop.test")
        patch.setenv("OCOP_SMTP_TIMEOUT", "5")
        yield running


@dataclass
class World:
    registration: Any
    evaluation: Any
    notification: Any
    owner: flows.Actor  # on the registration API
    officer: flows.Actor
    secretariats: dict[str, flows.Actor]
    councils: dict[str, kit.Council]
    authority: flows.Actor
    auditor: flows.Actor
    other_auditor: flows.Actor

    def exchange(self, dossier_id: str) -> None:
        """Hand every service's events about the case to every subscriber until none is new,
        sending the emails they cause on the way."""
        reg, ev, note = self.registration, self.evaluation, self.notification
        # Who hears whom (shared.messaging.topology): registration hears every event.
        routes = ((reg, reg), (reg, ev), (reg, note), (ev, reg), (ev, note), (note, reg))
        for _ in range(6):
            deliver_accounts(reg, note)
            # The councils' seats: their members are on the cases assigned to them (ADR 0009).
            moved = deliver_seats(ev, reg) + deliver_seats(ev, note)
            moved += sum(deliver(source, target, dossier_id) for source, target in routes)
            moved += send(note).sent
            if not moved:
                return
        raise AssertionError("events kept flowing after six rounds")


@pytest.fixture(scope="module")
def world(
    registration, evaluation, notification, mail, call, admin, eval_call, commune_officer
) -> World:
    def official(roles: list[str], unit: str | None) -> flows.Actor:
        return kit.official(admin, eval_call, roles, unit)

    secretariats = {
        level: official(["secretariat"], unit)
        for level, unit in (
            ("district", kit.DISTRICT),
            ("province", kit.PROVINCE),
            ("national", "national"),
        )
    }
    councils = {
        level: kit.form_council(admin, eval_call, evaluation, level=level, unit=unit, members=n)
        for level, unit, n in (
            ("district", kit.DISTRICT, 2),
            ("province", kit.PROVINCE, 1),
            ("national", "national", 0),
        )
    }

    def on_registration(actor: flows.Actor) -> flows.Actor:
        return flows.Actor(call, actor.token, actor.account)

    auditor = on_registration(official(["auditor"], kit.PROVINCE))
    other = on_registration(official(["auditor"], kit.OTHER_PROVINCE))
    return World(
        registration=registration,
        evaluation=evaluation,
        notification=notification,
        owner=kit.applicant(call),
        officer=kit.on_evaluation(eval_call, commune_officer),
        secretariats=secretariats,
        councils=councils,
        authority=official(["decision_authority"], "national"),
        auditor=auditor,
        other_auditor=other,
    )


def drive_full_case(world: World, commune_officer: flows.Actor) -> str:
    """A case from filing to a 5★ certificate; returns the dossier id."""
    dossier = kit.accepted_case(world.registration, world.evaluation, world.owner, commune_officer)
    dossier_id = dossier["id"]
    world.exchange(dossier_id)
    kit.propose(world.officer, dossier_id)
    for level in ("district", "province", "national"):
        council = world.councils[level]
        reply = kit.assign(world.secretariats[level], dossier_id, council.id)
        assert reply.status == 201, reply.body
        evaluation_id = reply.body["id"]
        seats = council.everyone
        kit.score_all(council, evaluation_id, [answers_for(96, marks=5)] * len(seats))
        if level == "district":
            revised = kit.revise(seats[0], evaluation_id, answers_for(100, marks=5), revision=1)
            assert revised.status == 200, revised.body
        closed = kit.finalise(council.secretary or council.chair, evaluation_id)
        assert closed.status == 200, closed.body
        world.exchange(dossier_id)
    case = world.authority("GET", f"/api/v1/cases/{dossier_id}")
    assert case.status == 200 and case.body["stage"] == "awaiting_decision", case.body
    decided = world.authority(
        "POST",
        f"/api/v1/cases/{dossier_id}/decisions",
        json={
            "decision_number": "77/QĐ-BNN",
            "decided_on": certificate_service.today().isoformat(),
            "version": case.body["version"],
        },
    )
    assert decided.status in (200, 201), decided.body
    world.exchange(dossier_id)
    return dossier_id


@pytest.fixture(scope="module")
def full_case(world: World, commune_officer: flows.Actor) -> str:
    return drive_full_case(world, commune_officer)


@contextmanager
def altered(runtime: Any) -> Iterator[Session]:
    """A session on a service's database whose changes are never committed."""
    with runtime.db.engine.connect() as connection:
        transaction = connection.begin()
        session = Session(bind=connection)
        try:
            yield session
        finally:
            session.close()
            transaction.rollback()


def outbox_ids(service: Any, dossier_id: str) -> set[uuid.UUID]:
    """Ids of the events a service committed about one dossier."""
    from sqlalchemy import select

    o = service.outbox.c
    with service.db.engine.connect() as conn:
        rows = conn.execute(select(o.event_id, o.envelope)).all()
    return {
        uuid.UUID(str(event_id))
        for event_id, envelope in rows
        if envelope.get("dossier_id") == dossier_id
        or envelope.get("payload", {}).get("dossier_id") == dossier_id
    }
