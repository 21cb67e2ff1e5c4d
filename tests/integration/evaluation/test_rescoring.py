"""``ocop rescore``: stored sheets whose totals the current rubric would not give their answers
are reported (a dry run changes nothing) and, asked to, corrected; a closed evaluation is named
so the operator can review it, its result left as decided."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from services.cli import main
from services.evaluation.models import Council, Evaluation, ScoreSheet
from services.evaluation.service.rescoring import rescore
from shared.rubrics import load_rubric, score
from tests.support import flows
from tests.support.cases import make_case

SET_CODE = "04"


def test_sheets_scored_differently_now_are_reported_then_corrected(evaluation, capsys) -> None:
    now = datetime.now(UTC)
    answers = flows.complete_answers(SET_CODE)
    right = score(load_rubric().sheet(SET_CODE), answers)
    with evaluation.db.unit_of_work() as uow:
        case = make_case(uow, product_set_code=SET_CODE, stage="in_evaluation")
        council = Council(name=f"Hội đồng {uuid.uuid4().hex[:6]}", level="district", unit="x")
        council.created_at = now
        uow.session.add(council)
        uow.session.flush()
        closed = Evaluation(
            dossier_id=case.dossier_id,
            level="district",
            council_id=council.id,
            status="closed",
            opened_at=now,
        )
        uow.session.add(closed)
        uow.session.flush()

        def sheet(total: float, parts: dict) -> uuid.UUID:
            stored = ScoreSheet(
                evaluation_id=closed.id,
                account_id=uuid.uuid4(),
                answers=answers,
                total=total,
                part_points=parts,
                document_hashes={},
                submitted_at=now,
                updated_at=now,
            )
            uow.session.add(stored)
            uow.session.flush()
            return stored.id

        parts = dict(right.part_totals)
        wrong = sheet(right.total + 2, {**parts, "C": parts["C"] + 2})  # as before issue 20.1
        fine = sheet(right.total, parts)
        uow.commit()

    def found(apply: bool = False) -> dict:
        with evaluation.db.unit_of_work() as uow:
            changed = {c.sheet_id: c for c in rescore(uow.session, apply=apply)}
            uow.commit()
        return changed

    dry = found()
    assert fine not in dry
    assert (dry[wrong].old_total, dry[wrong].new_total) == (right.total + 2, right.total)
    assert dry[wrong].evaluation_status == "closed"  # named for review, not rewritten
    assert str(case.dossier_id) in dry[wrong].line()
    assert wrong in found()  # the dry run changed nothing

    # The operator's command: the same report, then the same correction with --apply.
    assert main(["rescore"]) == 0
    assert f"sheet {wrong}: {right.total + 2:g} -> {right.total:g}" in capsys.readouterr().out
    assert wrong in found()
    assert main(["rescore", "--apply"]) == 0
    assert "rescored;" in capsys.readouterr().out
    assert wrong not in found() and fine not in found()
    with evaluation.db.reader() as session:
        stored = session.get_one(ScoreSheet, wrong)
        assert (stored.total, stored.part_points) == (right.total, parts)
