"""Rescoring stored score sheets with the rubric as the code reads it now (``ocop rescore``).

A sheet's total and part points are stored when it is submitted. When the reading of the rubric
changes (criterion 5.2 counted only when 5.1 names a story, issue 20), sheets stored before may
carry totals the current code would not give their answers. This finds them and, asked to,
writes the current totals. It reports the evaluation each sheet belongs to and whether that
evaluation is closed: a closed council's result and the decision taken on it are the record of
what was decided and are not rewritten here; the report tells the operator which ones to review.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.models import Case, Evaluation, ScoreSheet
from services.evaluation.service import cases
from shared.rubrics import AnswerError, score

#: Sheets read and written a batch at a time.
BATCH = 500


@dataclass(frozen=True, slots=True)
class Rescored:
    """A stored sheet whose answers the current rubric scores differently (or cannot score)."""

    sheet_id: uuid.UUID
    evaluation_id: uuid.UUID
    dossier_id: uuid.UUID
    evaluation_status: str
    old_total: float
    new_total: float | None  # None: the answers no longer fit the sheet (left as they are)
    old_parts: dict[str, float]
    new_parts: dict[str, float] | None

    def line(self) -> str:
        new = "unscorable" if self.new_total is None else f"{self.new_total:g}"
        return (
            f"{self.dossier_id} evaluation {self.evaluation_id} ({self.evaluation_status}) "
            f"sheet {self.sheet_id}: {self.old_total:g} -> {new}"
        )


def _stored(session: Session) -> Iterable[Any]:
    """Every stored sheet with its evaluation and case, a batch at a time."""
    return session.execute(
        select(ScoreSheet, Evaluation, Case)
        .join(Evaluation, ScoreSheet.evaluation_id == Evaluation.id)
        .join(Case, Evaluation.dossier_id == Case.dossier_id)
        .order_by(ScoreSheet.id)
        .execution_options(yield_per=BATCH)
    )


def rescore(session: Session, *, apply: bool = False) -> list[Rescored]:
    """The stored sheets the current rubric scores differently; with ``apply``, their total
    and part points are set to the current ones (in ``session``, committed by the caller)."""
    changed: list[Rescored] = []
    for sheet, evaluation, case in _stored(session):
        new_total: float | None
        new_parts: dict[str, float] | None
        try:
            result = score(cases.rubric_sheet(case), sheet.answers)
        except AnswerError:
            new_total, new_parts = None, None
        else:
            new_total, new_parts = result.total, dict(result.part_totals)
            if new_total == sheet.total and new_parts == sheet.part_points:
                continue
        changed.append(
            Rescored(
                sheet_id=sheet.id,
                evaluation_id=evaluation.id,
                dossier_id=case.dossier_id,
                evaluation_status=evaluation.status,
                old_total=sheet.total,
                new_total=new_total,
                old_parts=dict(sheet.part_points),
                new_parts=new_parts,
            )
        )
    if apply:
        for found in changed:
            if found.new_total is not None:
                assert found.new_parts is not None, "scored: a total and its parts together"
                sheet = session.get_one(ScoreSheet, found.sheet_id)
                sheet.total, sheet.part_points = found.new_total, found.new_parts
        session.flush()
    return changed
