"""Tamper evidence (docs/quality.md item 9): full cases driven through every service, checkpoints
signed, then the registration database altered directly in seeded random ways, naive or with
both chains recomputed by someone without the signing key. Every alteration is found by the
online verification and located; the exported case file it touches fails offline too. Each
alteration is rolled back before the next."""

from __future__ import annotations

import os
import random
import uuid

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.ledger import checkpoints, export
from services.registration.ledger import verify as ledger_verify
from services.registration.models import LedgerCheckpoint, LedgerEntry
from shared.ledger import casefile
from tests.integration.ledger import tamper
from tests.integration.ledger.conftest import World, altered, drive_full_case

ROUNDS = int(os.environ.get("OCOP_TAMPER_ROUNDS", "150"))
SEED = int(os.environ.get("OCOP_TAMPER_SEED", str(random.randrange(2**32))))


@pytest.fixture(scope="module")
def cases(world: World, commune_officer) -> list[str]:
    """Two full cases, each followed by a checkpoint."""
    made = []
    for _ in range(2):
        made.append(drive_full_case(world, commune_officer))
        with world.registration.db.unit_of_work() as uow:
            checkpoints.make(uow.session)
            uow.commit()
    return made


def first_checkpoint_from(session: Session, seq: int) -> int:
    return session.execute(
        select(LedgerCheckpoint.number)
        .where(LedgerCheckpoint.seq >= seq)
        .order_by(LedgerCheckpoint.number)
        .limit(1)
    ).scalar_one()


def located(problem: str, alteration: tamper.Alteration, expected_checkpoint: int | None) -> bool:
    if alteration.checkpoint is not None:
        return problem.startswith(f"checkpoint #{alteration.checkpoint}:")
    if alteration.smart:
        return problem.startswith(f"checkpoint #{expected_checkpoint}:")
    assert alteration.seq is not None
    return f"seq {alteration.seq}" in problem or f"seq {alteration.seq + 1}" in problem


def test_the_untouched_ledger_verifies(world: World, cases: list[str]) -> None:
    with world.registration.db.reader() as session:
        assert ledger_verify.verify_ledger(session).valid
        for dossier in cases:
            report = casefile.verify(export.load(session, uuid.UUID(dossier)))
            assert report.valid, report.text()


def test_every_alteration_of_the_database_is_found_and_located(
    world: World, cases: list[str]
) -> None:
    rnd = random.Random(SEED)
    with world.registration.db.reader() as session:
        targets = {
            dossier: session.execute(
                select(LedgerEntry.seq).where(LedgerEntry.dossier_id == uuid.UUID(dossier))
            )
            .scalars()
            .all()
            for dossier in cases
        }
        covers = {
            dossier: checkpoints.covering(session, max(seqs)).number  # type: ignore[union-attr]
            for dossier, seqs in targets.items()
        }
        latest = checkpoints.latest(session).number  # type: ignore[union-attr]
    counts: dict[str, int] = {}
    for round_ in range(ROUNDS):
        dossier = rnd.choice(cases)
        with altered(world.registration) as session:
            if rnd.random() < 0.8:
                operation = rnd.choice(tamper.ENTRY_ALTERATIONS)
                target = rnd.choice(targets[dossier])
            else:
                operation = rnd.choice(tamper.CHECKPOINT_ALTERATIONS)
                # A stale checkpoint is an older one: the first has none before it.
                stale_ok = operation is not tamper.replay_stale_checkpoint
                target = rnd.choice([c for c in (covers[dossier], latest) if stale_ok or c > 1])
            alteration = operation(session, rnd, target)
            expected = first_checkpoint_from(session, alteration.seq) if alteration.smart else None
            if alteration.name == "truncate":
                dossier = cases[-1]
            session.flush()
            context = f"seed {SEED} round {round_}: {alteration}"
            counts[operation.__name__] = counts.get(operation.__name__, 0) + 1

            report = ledger_verify.verify_ledger(session)
            assert not report.valid, context
            assert located(report.problems[0], alteration, expected), (context, report.problems)

            touches_case = alteration.checkpoint in (None, covers[dossier])
            if touches_case:
                offline = casefile.verify(export.load(session, uuid.UUID(dossier)))
                assert not offline.valid, (context, offline.text())
                online = ledger_verify.verify_case(session, uuid.UUID(dossier))
                assert not online.valid, (context, online.text())
    # Each kind of alteration was tried.
    kinds = {op.__name__ for op in (*tamper.ENTRY_ALTERATIONS, *tamper.CHECKPOINT_ALTERATIONS)}
    assert set(counts) == kinds or ROUNDS < 100, counts
