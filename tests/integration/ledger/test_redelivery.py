"""Reconciliation after a run with faults: the ledger's consumer gets every event of
a full case out of order, most of them several times (alone, twice in one batch, in different
batches), and some batches die before their commit (a worker killed mid-task: the broker hands
the batch out again). Afterwards reconciliation finds nothing missing and nothing extra, each
event has exactly one entry, and both chains verify."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from services import cli
from services.audit import reconcile, reconcile_urls
from services.registration.ledger import verify as ledger_verify
from services.registration.models import LedgerEntry
from shared.db import UnitOfWork
from tests.integration.ledger.conftest import World, drive_full_case
from tests.integration.notification.conftest import send
from tests.support.cases import deliver, deliver_accounts

SEED = 5


class Killed(Exception):
    """The worker died before its transaction committed."""


def _without_ledger(world: World, dossier_id: str) -> None:
    """``World.exchange`` with every route into registration held back: the case moves on in
    evaluation and notification while the ledger's consumer is down."""
    reg, ev, note = world.registration, world.evaluation, world.notification
    for _ in range(6):
        deliver_accounts(reg, note)
        moved = sum(deliver(s, t, dossier_id) for s, t in ((reg, ev), (reg, note), (ev, note)))
        moved += send(note).sent
        if not moved:
            return
    raise AssertionError("events kept flowing after six rounds")


def _envelopes(world: World, dossier_id: str) -> list[dict[str, Any]]:
    """Every event any service committed about the case (what the ledger must hold)."""
    found = []
    for service in (world.registration, world.evaluation, world.notification):
        o = service.outbox.c
        with service.db.engine.connect() as conn:
            for (envelope,) in conn.execute(select(o.envelope).order_by(o.id)):
                about = envelope.get("dossier_id") or envelope.get("payload", {}).get("dossier_id")
                if about == dossier_id:
                    found.append(envelope)
    return found


@pytest.fixture(scope="module")
def case(world: World, commune_officer: Any) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(world, "exchange", lambda d: _without_ledger(world, d))
        dossier_id = drive_full_case(world, commune_officer)
    yield dossier_id, _envelopes(world, dossier_id)


def _entries(world: World, dossier_id: str) -> list[uuid.UUID]:
    with world.registration.db.reader() as session:
        return list(
            session.execute(
                select(LedgerEntry.event_id).where(LedgerEntry.dossier_id == uuid.UUID(dossier_id))
            ).scalars()
        )


def test_redelivered_out_of_order_the_ledger_holds_each_event_once(
    world: World, case: tuple[str, list[dict[str, Any]]]
) -> None:
    dossier_id, envelopes = case
    assert _entries(world, dossier_id) == []  # the consumer was down the whole case
    kinds = {e["type"] for e in envelopes}
    assert {"dossier.accepted", "certificate.issued", "notification.sent"} <= kinds, kinds

    rnd = random.Random(SEED)
    # Each event delivered one to three times, in no particular order; some batches carry the
    # same event twice.
    queue = [e for e in envelopes for _ in range(rnd.choice((1, 2, 2, 3)))]
    rnd.shuffle(queue)
    inbox = world.registration.inbox()
    kills = 0
    while queue:
        size = rnd.randint(1, 6)
        batch, queue = queue[:size], queue[size:]
        if rnd.random() < 0.5:
            batch.append(rnd.choice(batch))
        if kills < 5 and rnd.random() < 0.2:

            def killed(_uow: UnitOfWork) -> None:
                raise Killed

            with pytest.MonkeyPatch.context() as patch:
                patch.setattr(UnitOfWork, "commit", killed)
                with pytest.raises(Killed):
                    inbox.consume_batch(batch)
            kills += 1
            at = rnd.randint(0, len(queue))
            queue[at:at] = batch  # the broker hands the batch out again, maybe after others
            continue
        outcomes = inbox.consume_batch(batch)
        failed = [o for o in outcomes if isinstance(o, Exception)]
        assert not failed, failed
    assert kills > 0

    recorded = _entries(world, dossier_id)
    assert len(recorded) == len(set(recorded))
    assert set(recorded) == {uuid.UUID(e["event_id"]) for e in envelopes}

    with (
        world.registration.db.reader() as registration,
        world.evaluation.db.reader() as evaluation,
        world.notification.db.reader() as notification,
    ):
        result = reconcile(
            registration=registration,
            evaluation=evaluation,
            notification=notification,
            dossiers={uuid.UUID(dossier_id)},
        )
        assert result.clean, result.text()  # nothing missing, nothing extra
        assert result.checked["entries"] == len(recorded)
        for checked in ("document versions", "sheet revisions", "certificates", "emails"):
            assert result.checked.get(checked, 0) > 0, checked
        assert ledger_verify.verify_case(registration, uuid.UUID(dossier_id)).valid
        assert ledger_verify.verify_ledger(registration).valid
        twice = select(LedgerEntry.event_id).group_by(LedgerEntry.event_id)
        assert registration.execute(twice.having(func.count() > 1)).first() is None
    assert cli.main(["audit", "reconcile", "--dossier", dossier_id]) == 0
    urls = {
        name: runtime.db.url
        for name, runtime in (
            ("registration", world.registration),
            ("evaluation", world.evaluation),
            ("notification", world.notification),
        )
    }
    assert reconcile_urls(urls, {uuid.UUID(dossier_id)}).clean
