"""Rows the two-tier regime wrote at the level it called ``central`` say ``national`` once
migration 0012 has run (ADR 0011), a central round merged into its national twin."""

from __future__ import annotations

import importlib
import uuid
from datetime import UTC, date, datetime

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select

from services.evaluation.models import Case, Council, Evaluation, Round
from tests.support.cases import make_case


def test_central_rows_become_national(evaluation) -> None:
    now = datetime.now(UTC)
    tag = uuid.uuid4().hex[:6]
    unit = f"national-{tag}"  # rounds of their own, whatever the other tests scheduled
    dates = {"proposals_due": date(2031, 7, 30), "closes_on": date(2031, 9, 30)}
    with evaluation.db.unit_of_work() as uow:
        case = make_case(
            uow,
            regime="two-tier",
            unit_tree="2025",
            province_code="08",
            district_code=None,
            commune_code="02269",
            level="central",
            stage="in_evaluation",
        )
        council = Council(name=f"Hội đồng trung ương {tag}", level="central", unit="national")
        council.created_at = now
        central_round = Round(level="central", unit=unit, name="Đợt 2", **dates)
        twin = Round(level="national", unit=unit, name="Đợt 2", **dates)
        alone = Round(
            level="central", unit=unit, name="Đợt 1", **{**dates, "closes_on": date(2031, 3, 30)}
        )
        uow.session.add_all([council, central_round, twin, alone])
        uow.session.flush()
        scored = Evaluation(
            dossier_id=case.dossier_id,
            level="central",
            council_id=council.id,
            round_id=central_round.id,
            status="open",
            opened_at=now,
        )
        uow.session.add(scored)
        uow.commit()
        ids = (case.dossier_id, council.id, scored.id, central_round.id, twin.id, alone.id)

    # Migration 0012's step, run again on the database at head (its rows written as before).
    step = importlib.import_module(
        "services.evaluation.migrations.versions.0012_one_name_for_the_national_level"
    )
    with evaluation.db.engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        step.upgrade()

    case_id, council_id, scored_id, central_id, twin_id, alone_id = ids
    with evaluation.db.reader() as session:
        assert session.get(Case, case_id).level == "national"
        assert session.get(Council, council_id).level == "national"
        moved = session.get(Evaluation, scored_id)
        assert (moved.level, moved.round_id) == ("national", twin_id)
        rounds = session.execute(select(Round.id, Round.level).where(Round.unit == unit)).all()
        assert sorted(rounds) == sorted([(twin_id, "national"), (alone_id, "national")])
        assert session.get(Round, central_id) is None
