"""Answer sets for the evaluation tests, built on a real Decision 26/2026 sheet."""

from __future__ import annotations

from services.evaluation.domain.aggregation import MemberSheet
from shared.rubrics import (
    NO,
    YES,
    Criterion,
    Sheet,
    load_rubric,
    marked_minimum,
    not_applicable,
    score,
)

#: Set 06 (processed rice and cereals): marks on 1.1 (3★), 1.5 (4★ c, 5★ d), 1.6, 2.1 …
SHEET: Sheet = load_rubric().sheet("06")

Answers = dict[str, str | None]


def choices(criterion: Criterion) -> list[tuple[str, int]]:
    """(answer, points) pairs of a criterion, lowest first."""
    if not criterion.options_printed:
        return [(NO, 0), (YES, criterion.max_points)]
    return sorted(((o.code, o.points) for o in criterion.options), key=lambda c: c[1])


def answers_for(total: int, *, marks: int = 5, sheet: Sheet = SHEET, **fixed: str) -> Answers:
    """A complete answer set scoring ``total`` whose star marks are met up to ``marks``.

    ``fixed`` answers (criterion code with underscores for dots, e.g. ``c1_5="c"``) are kept
    as given, which may leave a mark unmet; the other criteria make up the total. A
    conditional criterion that does not apply (5.2 when ``c5_1="a"``: no story) keeps its
    lowest answer, which counts for nothing.
    """
    pinned = {key.removeprefix("c").replace("_", "."): option for key, option in fixed.items()}
    answers: Answers = {}
    for crit in sheet.criteria:
        floor = marked_minimum(crit, marks) if marks >= 3 else None
        needed = floor.points if floor else 0
        default = next(code for code, pts in choices(crit) if pts >= needed)
        answers[crit.code] = pinned.get(crit.code, default)
    short = total - score(sheet, answers).total
    for crit in sheet.criteria:
        if crit.code in pinned or short <= 0 or crit.code in not_applicable(sheet, answers):
            continue
        now = dict(choices(crit))[answers[crit.code] or ""]
        best = max((c for c in choices(crit) if now <= c[1] <= now + short), key=lambda c: c[1])
        answers[crit.code] = best[0]
        short -= best[1] - now
    result = score(sheet, answers)
    if result.total != total:
        raise ValueError(f"cannot reach {total} with {marks}★ marks and {pinned}")
    return answers


def member(member_id: str, answers: Answers, sheet: Sheet = SHEET) -> MemberSheet:
    """A scored member sheet."""
    return MemberSheet.scored(member_id, sheet, answers)


def members(*answer_sets: Answers) -> list[MemberSheet]:
    """Member sheets m1, m2, … for ``answer_sets``."""
    return [member(f"m{i}", answers) for i, answers in enumerate(answer_sets, start=1)]
