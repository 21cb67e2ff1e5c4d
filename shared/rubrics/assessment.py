"""Answers to one OCOP scoring sheet and their evaluation (Decision 26/2026/QĐ-TTg).

Answer format
-------------
An answer set is a mapping ``{criterion_code: answer}`` for one sheet, e.g.
``{"1.1": "c", "2.4": "yes", "8": "d"}``. An answer is a string:

* for a criterion with options, the option code (``"a"``, ``"b"``, …);
* for a criterion with alternative cases (set 26 criteria 8, 9 and 15), still just the
  option code: option codes are unique across the cases, so the case is implied;
* for a criterion printed without options (``options_printed: false``, the 1-point
  bilingual-label criterion), ``"yes"`` (scores ``max_points``) or ``"no"`` (scores 0).

A criterion that is absent, or mapped to ``None``, is unanswered and scores 0.
``None`` is accepted so that a draft form can send every key.

Conditional criteria
--------------------
A conditional criterion carries the printed condition ``applies_if`` and the same condition
as data, ``applies_when``: it applies when the answer to the earlier criterion named there is
one of the answers listed. Criterion 5.2 of sets 1–25 ("Chỉ áp dụng khi có câu chuyện sản
phẩm") applies when 5.1 is b–e (there is a story) and not when 5.1 is a ("Không có câu
chuyện sản phẩm"). Nothing here names 5.2: every sheet's conditions are read from the data.

* A criterion that **applies** is like any other: a complete answer set must answer it, it
  scores its answer, and it is held to its star marks (unanswered counting as 0 points).
* A criterion that **does not apply** may be left out. An answer given anyway (say, left
  over from before 5.1 was changed to "no story") must still be one the criterion accepts,
  but it is ignored: the criterion scores 0 (the reading of the data README: the same as
  the "no story" option of 5.1), is never ``missing``, and neither meets nor fails a star
  mark. :attr:`Score.not_applicable` lists such criteria.
* Whether a criterion applies is known only once the criterion it depends on is answered
  (and itself applies). Until then it does not apply; the criterion it depends on is then
  unanswered, so the answer set is not complete anyway.

Alternative cases (``cases``; set 26 criteria 8, 9 and 15) need no separate answer: the
option code names its case. A chosen option is held to the star marks of its own case; an
unanswered criterion only to what every case requires.

Star rank
---------
Article 3.3 gives the star band from the total. On top of it, options marked ``***``,
``****`` or ``*****`` (``min_star``) are minimums a product must reach to be ranked 3, 4
or 5 stars (sheet legend "Dấu sao là yêu cầu tối thiểu phải đạt theo các cấp độ sao").
For a target level R, each criterion's requirement is its marked option with the largest
``min_star`` ≤ R; the chosen option must score at least that option's points. A criterion
with no mark ≤ R, or one that does not apply, imposes nothing. Then:

* ``marks_met_level`` is 5 if every requirement for 5 is met, else 4 if every one for 4 is
  met, else 3 if every one for 3 is met, else 2 (marks only gate levels 3 to 5);
* ``star_rank = min(band, marks_met_level)``;
* ``holding_back`` lists the criteria whose marks for ``star_rank + 1`` are unmet (empty
  at 5★, and at 1★ since marks do not gate 2★). The total may also be short of that
  level: compare ``band`` with ``star_rank``.

This module scores one sheet with integer points. A council's mean of several sheets
is a float; pass it to :func:`star_band` directly.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from numbers import Real
from typing import Any

from .model import MARK_LEVELS, SHEET_MAXIMUM, STAR_BANDS, Criterion, Option, Sheet

YES = "yes"
NO = "no"
#: Key of :func:`validate_answers` errors that concern the answer set as a whole.
SCHEMA_KEY = "_schema"


class AnswerError(ValueError):
    """An answer set does not fit its sheet; ``errors`` is ``{criterion_code: message}``."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors: dict[str, str] = dict(errors)
        super().__init__("; ".join(f"{code}: {msg}" for code, msg in self.errors.items()))


@dataclass(frozen=True, slots=True)
class Score:
    """The evaluation of one answer set against one sheet.

    The mappings are plain dicts so that a score can be pickled or deep-copied; treat them
    as read-only.
    """

    set_code: str
    #: Points per criterion code (unanswered criteria score 0), in sheet order.
    criterion_points: Mapping[str, int]
    #: Points per group code.
    group_totals: Mapping[str, int]
    #: Points per part: ``{"A": …, "B": …, "C": …}``.
    part_totals: Mapping[str, int]
    total: int
    #: Star band of the total alone (Article 3.3), 1 to 5.
    band: int
    #: Highest level (3–5) whose star marks are all met, else 2.
    marks_met_level: int
    #: ``min(band, marks_met_level)``.
    star_rank: int
    #: Criteria whose marks for ``star_rank + 1`` are unmet, in sheet order.
    holding_back: tuple[str, ...]
    #: For each level 3, 4, 5: the criteria whose mark for that level is not met.
    unmet_marks: Mapping[int, tuple[str, ...]]
    #: Criteria that apply but have no answer, in sheet order.
    missing: tuple[str, ...]
    #: Conditional criteria that do not apply to these answers (scored 0), in sheet order.
    not_applicable: tuple[str, ...] = ()

    @property
    def is_complete(self) -> bool:
        return not self.missing

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready copy (level keys become strings)."""
        return {
            "set_code": self.set_code,
            "criterion_points": dict(self.criterion_points),
            "group_totals": dict(self.group_totals),
            "part_totals": dict(self.part_totals),
            "total": self.total,
            "band": self.band,
            "marks_met_level": self.marks_met_level,
            "star_rank": self.star_rank,
            "holding_back": list(self.holding_back),
            "unmet_marks": {str(k): list(v) for k, v in self.unmet_marks.items()},
            "missing": list(self.missing),
            "not_applicable": list(self.not_applicable),
        }


def star_band(total: float | Decimal) -> int:
    """Star band (1–5) of a total or a mean total, per Article 3 khoản 3.

    5★ [90, 100], 4★ [70, 90), 3★ [50, 70), 2★ [30, 50), 1★ [0, 30). No rounding is done:
    89.99 is 4★. Rounding a council mean, if any, is the caller's decision.
    """
    if isinstance(total, bool) or not isinstance(total, Real | Decimal):
        raise TypeError(f"total must be a number, got {type(total).__name__}")
    if math.isnan(total) or not 0 <= total <= SHEET_MAXIMUM:
        raise ValueError(f"total {total} is outside 0..{SHEET_MAXIMUM}")
    for stars, lowest in STAR_BANDS:
        if total >= lowest:
            return stars
    raise AssertionError("unreachable: the lowest band starts at 0")


def accepted_answers(criterion: Criterion) -> tuple[str, ...]:
    """The answers ``criterion`` accepts: its option codes, or yes/no."""
    return criterion.option_codes if criterion.options_printed else (YES, NO)


def answer_points(criterion: Criterion, answer: str) -> int:
    """Points of ``answer``; ``ValueError`` if the criterion does not accept it."""
    problem = _answer_error(criterion, answer)
    if problem is not None:
        code, params = problem
        raise ValueError(f"criterion {criterion.code}: {_english(code, params)}")
    if not criterion.options_printed:
        return criterion.max_points if answer == YES else 0
    option = criterion.option(answer)
    assert option is not None  # checked by _answer_error
    return option.points


def marked_minimum(criterion: Criterion, level: int, case: str | None = None) -> Option | None:
    """The option whose points ``criterion`` requires for star ``level``, or ``None``.

    That is the marked option with the largest ``min_star`` ≤ ``level`` (among ``case``'s
    options when given). If one mark sat on two options, the lower-scoring one would do.
    """
    options = [o for o in criterion.options if case is None or o.case == case]
    marked = [o for o in options if o.min_star is not None and o.min_star <= level]
    if not marked:
        return None
    top = max(o.min_star for o in marked if o.min_star is not None)
    return min((o for o in marked if o.min_star == top), key=lambda o: o.points)


def not_applicable(sheet: Sheet, answers: Mapping[str, object]) -> tuple[str, ...]:
    """Codes of the conditional criteria that do not apply to ``answers``, in sheet order.

    A criterion with ``applies_when`` applies when the criterion it names applies and is
    answered with one of the listed answers (see the module docstring).
    """
    off: list[str] = []
    for crit in sheet.criteria:
        cond = crit.applies_when
        if cond is None:
            continue
        ruling = None if cond.criterion in off else answers.get(cond.criterion)
        if not (isinstance(ruling, str) and ruling in cond.options):
            off.append(crit.code)
    return tuple(off)


def validate_answers(
    sheet: Sheet, answers: Mapping[str, object], *, complete: bool
) -> dict[str, str]:
    """Field errors ``{criterion_code: message}`` of an answer set; empty if valid.

    With ``complete=True`` every criterion that applies must be answered; a conditional
    criterion that does not apply (:func:`not_applicable`) may be omitted, and an answer
    to it is checked for form only. An error about the answer set as a whole is reported
    under :data:`SCHEMA_KEY`.
    """
    return {
        key: _english(code, params)
        for key, (code, params) in answer_codes(sheet, answers, complete=complete).items()
    }


def _english(code: str, params: Mapping[str, Any]) -> str:
    expected = params.get("expected")
    phrase = f"{YES} or {NO}" if expected == f"{YES}, {NO}" else f"one of {expected}"
    return _MESSAGES[code].format(phrase=phrase, **params)


# The English of each answer error, for the sheet's own checks (AnswerError) and logs; readers
# see the catalogue's words for the code (``error.answer.*``).
_MESSAGES = {
    "answer.not_a_mapping": "expected an object mapping criterion codes to answers",
    "answer.criterion_not_text": "criterion code must be a string",
    "answer.unknown_criterion": "unknown criterion for set {set_code}",
    "answer.wrong_type": "wrong type ({type}); expected {phrase}",
    "answer.unknown_option": "unknown option {answer!r}; expected {phrase}",
    "answer.unknown_answer": "unknown answer {answer!r}; expected {phrase}",
    "answer.missing": "missing answer; expected {phrase}",
}


def answer_codes(
    sheet: Sheet, answers: Mapping[str, object], *, complete: bool
) -> dict[str, tuple[str, dict[str, Any]]]:
    """What :func:`validate_answers` finds, as ``{criterion_code: (code, params)}``: a stable
    code (``answer.missing``, ...) and the values its message names."""
    if not isinstance(answers, Mapping):
        return {SCHEMA_KEY: ("answer.not_a_mapping", {})}
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    for code, answer in answers.items():
        if not isinstance(code, str):
            errors[str(code)] = ("answer.criterion_not_text", {})
        elif not sheet.has_criterion(code):
            errors[code] = ("answer.unknown_criterion", {"set_code": sheet.set_code})
        elif answer is not None:
            problem = _answer_error(sheet.criterion(code), answer)
            if problem is not None:
                errors[code] = problem
    if complete:
        for crit in _missing(sheet, answers):
            expected = {"expected": _expected(sheet.criterion(crit))}
            errors.setdefault(crit, ("answer.missing", expected))
    return errors


def score(sheet: Sheet, answers: Mapping[str, object]) -> Score:
    """Evaluate an answer set (possibly partial) against ``sheet``.

    Raises :class:`AnswerError` if :func:`validate_answers` (``complete=False``) reports
    anything. Unanswered criteria score 0 and, where they apply, are listed in
    :attr:`Score.missing`; criteria that do not apply score 0 whatever their answer and are
    listed in :attr:`Score.not_applicable`.
    """
    errors = validate_answers(sheet, answers, complete=False)
    if errors:
        raise AnswerError(errors)
    off = not_applicable(sheet, answers)
    points: dict[str, int] = {}
    unmet: dict[int, list[str]] = {level: [] for level in MARK_LEVELS}
    for crit in sheet.criteria:
        if crit.code in off:
            points[crit.code] = 0  # any answer is ignored; no mark is met or failed
            continue
        answer = answers.get(crit.code)
        got = answer_points(crit, answer) if isinstance(answer, str) else 0
        points[crit.code] = got
        case = _case_of(crit, answer)
        for level in MARK_LEVELS:
            required = _required_points(crit, level, case)
            if required is not None and got < required:
                unmet[level].append(crit.code)
    groups = {g.code: sum(points[c.code] for c in g.criteria) for g in sheet.groups}
    parts = {p.code: sum(groups[g.code] for g in p.groups) for p in sheet.parts}
    total = sum(parts.values())
    band = star_band(total)
    # Requirements only tighten with the level, but each level is checked on its own.
    marks_level = next((lvl for lvl in sorted(MARK_LEVELS, reverse=True) if not unmet[lvl]), 2)
    rank = min(band, marks_level)
    return Score(
        set_code=sheet.set_code,
        criterion_points=points,
        group_totals=groups,
        part_totals=parts,
        total=total,
        band=band,
        marks_met_level=marks_level,
        star_rank=rank,
        holding_back=tuple(unmet.get(rank + 1, ())),
        unmet_marks={lvl: tuple(codes) for lvl, codes in unmet.items()},
        missing=tuple(_missing(sheet, answers)),
        not_applicable=off,
    )


# ---------------------------------------------------------------------------- helpers


def _expected(criterion: Criterion) -> str:
    """The answers a criterion takes, as its message names them."""
    return ", ".join(accepted_answers(criterion))


def _answer_error(criterion: Criterion, answer: object) -> tuple[str, dict[str, Any]] | None:
    if not isinstance(answer, str):
        expected = _expected(criterion)
        return "answer.wrong_type", {"expected": expected, "type": type(answer).__name__}
    if answer in accepted_answers(criterion):
        return None
    code = "answer.unknown_option" if criterion.options_printed else "answer.unknown_answer"
    return code, {"answer": answer, "expected": _expected(criterion)}


def _missing(sheet: Sheet, answers: Mapping[str, object]) -> list[str]:
    off = set(not_applicable(sheet, answers))
    return [c.code for c in sheet.criteria if c.code not in off and answers.get(c.code) is None]


def _case_of(criterion: Criterion, answer: object) -> str | None:
    if not criterion.cases or not isinstance(answer, str):
        return None
    option = criterion.option(answer)
    return option.case if option else None


def _required_points(criterion: Criterion, level: int, case: str | None) -> int | None:
    """Points needed for ``level``; ``None`` if the criterion imposes nothing."""
    if criterion.cases and case is None:
        # Unanswered: the case is unknown, so only what every case requires is certain.
        per_case = [_required_points(criterion, level, c.code) for c in criterion.cases]
        return None if None in per_case else min(p for p in per_case if p is not None)
    option = marked_minimum(criterion, level, case)
    return None if option is None else option.points
