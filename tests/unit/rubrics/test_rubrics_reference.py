"""Scoring checked against an independent reading of the rubric data (issue 20, point 1).

``reference`` below scores an answer set from the JSON files themselves, as their README
and the documented answer rules say, without the loader's model or the scorer:

* a criterion counts the points of the option ticked (``yes`` = ``max_points`` and ``no`` = 0
  where ``options_printed`` is false); unanswered counts 0;
* a criterion with ``applies_when`` applies only when the criterion it names applies and
  is answered with one of ``options``; where it does not apply it counts 0 whatever is
  ticked, need not be answered, and neither meets nor fails a star mark;
* Article 3.3's bands come from ``catalog.json`` ``star_bands``;
* a star mark, for rank R: in the criterion (in the chosen option's case, for a criterion
  with ``cases``) the marked option with the largest ``min_star`` ≤ R sets the points the
  answer must reach; an unanswered criterion with cases must reach what every case
  requires; the rank is the highest R ≤ the band whose marks are all met (marks gate only
  3 to 5 stars).

The property tests run it and ``shared.rubrics.score`` on random answer sets over all 26
sheets and over variants of them (a mark on a conditional criterion, conditions on a
conditional criterion, on a yes/no criterion and on a criterion with cases), and compare
every figure. A council meets a mark when a strict majority of the members to whom the
criterion applies meet it (``services.evaluation.domain.aggregation``).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.evaluation.domain.aggregation import MemberSheet, aggregate
from shared.rubrics import AnswerError, Sheet, check_sheet, score, validate_answers
from shared.rubrics.loader import parse_sheet

DATA = Path(__file__).resolve().parents[3] / "shared" / "rubrics" / "data" / "qd26-2026"
SETTINGS = settings(max_examples=400, deadline=None, database=None)

Json = dict[str, Any]
Answers = dict[str, str | None]
LEVELS = (3, 4, 5)


def _read(name: str) -> Json:
    return json.loads((DATA / name).read_text(encoding="utf-8"))


CATALOG = _read("catalog.json")
RAW: dict[str, Json] = {s["set_code"]: _read(s["file"]) for s in CATALOG["sets"]}


# -------------------------------------------------------------- the independent reading


def criteria(raw: Json) -> Iterator[tuple[str, str, Json]]:
    """(part code, group code, criterion) in sheet order."""
    for part in raw["parts"]:
        for group in part["groups"]:
            for crit in group["criteria"]:
                yield part["code"], group["code"], crit


def answers_of(crit: Json) -> list[str]:
    """What a criterion accepts: its option codes, or yes/no where none are printed."""
    if crit.get("options_printed", True):
        return [o["code"] for o in crit["options"]]
    return ["yes", "no"]


def points_of(crit: Json, answer: str | None) -> int:
    if answer is None:
        return 0
    if not crit.get("options_printed", True):
        return crit["max_points"] if answer == "yes" else 0
    return next(o["points"] for o in crit["options"] if o["code"] == answer)


def required(options: list[Json], level: int) -> int | None:
    """Points the largest mark ≤ ``level`` among ``options`` asks for; ``None`` if no mark."""
    marked = [o for o in options if o["min_star"] is not None and o["min_star"] <= level]
    if not marked:
        return None
    top = max(o["min_star"] for o in marked)
    return min(o["points"] for o in marked if o["min_star"] == top)


def requirement(crit: Json, level: int, answer: str | None) -> int | None:
    if "cases" not in crit:
        return required(crit["options"], level)
    blocks = [[o for o in crit["options"] if o["case"] == c["code"]] for c in crit["cases"]]
    if answer is not None:
        case = next(o["case"] for o in crit["options"] if o["code"] == answer)
        return required([o for o in crit["options"] if o["case"] == case], level)
    each = [required(block, level) for block in blocks]
    return None if None in each else min(p for p in each if p is not None)


def band_of(total: float) -> int:
    for band in CATALOG["star_bands"]:
        low, high = band["min_points"], band["max_points"]
        if low <= total < high or (band["max_inclusive"] and total == high):
            return band["stars"]
    raise AssertionError(f"no band for {total}")


def rank_of(band: int, unmet: Mapping[int, list[str]]) -> int:
    """The highest rank up to the band whose star marks are all met."""
    return next(r for r in range(band, 0, -1) if r not in LEVELS or not unmet[r])


@dataclass
class Reading:
    points: dict[str, int]
    parts: dict[str, int]
    total: int
    band: int
    rank: int
    marks_level: int
    unmet: dict[int, list[str]]
    holding_back: list[str]
    missing: list[str]
    not_applicable: list[str]


def reference(raw: Json, answers: Mapping[str, str | None]) -> Reading:
    applies: dict[str, bool] = {}
    points: dict[str, int] = {}
    parts: dict[str, int] = {}
    unmet: dict[int, list[str]] = {level: [] for level in LEVELS}
    missing: list[str] = []
    for part, _group, crit in criteria(raw):
        code, answer = crit["code"], answers.get(crit["code"])
        cond = crit.get("applies_when")
        applies[code] = cond is None or (
            applies[cond["criterion"]] and answers.get(cond["criterion"]) in cond["options"]
        )
        got = points_of(crit, answer) if applies[code] else 0
        points[code] = got
        parts[part] = parts.get(part, 0) + got
        if not applies[code]:
            continue
        if answer is None:
            missing.append(code)
        for level in LEVELS:
            need = requirement(crit, level, answer)
            if need is not None and got < need:
                unmet[level].append(code)
    total = sum(parts.values())
    band = band_of(total)
    rank = rank_of(band, unmet)
    return Reading(
        points=points,
        parts=parts,
        total=total,
        band=band,
        rank=rank,
        marks_level=next((lvl for lvl in (5, 4, 3) if not unmet[lvl]), 2),
        unmet=unmet,
        holding_back=unmet[rank + 1] if rank + 1 in LEVELS else [],
        missing=missing,
        not_applicable=[code for code, ok in applies.items() if not ok],
    )


# ---------------------------------------------------------------- sheets and variants


def criterion(raw: Json, code: str) -> Json:
    return next(c for _, _, c in criteria(raw) if c["code"] == code)


def condition(raw: Json, code: str, on: str, options: list[str]) -> None:
    crit = criterion(raw, code)
    crit["applies_if"] = f"(test) only when {on} is {', '.join(options)}"
    crit["applies_when"] = {"criterion": on, "options": options}


def mark(raw: Json, code: str, **stars: int) -> None:
    for option in criterion(raw, code)["options"]:
        option["min_star"] = stars.get(option["code"], option["min_star"])


def variant(set_code: str, change: Callable[[Json], None]) -> Json:
    raw = copy.deepcopy(RAW[set_code])
    change(raw)
    return raw


def _story_marked(raw: Json) -> None:
    mark(raw, "5.2", b=3, c=4)  # a conditional criterion with marks


def _chains(raw: Json) -> None:
    _story_marked(raw)
    condition(raw, "6.1", "5.2", ["b", "c"])  # on a conditional criterion (6.1 c has ****)
    condition(raw, "3.1", "2.4", ["yes"])  # on a criterion printed without options


def _cases(raw: Json) -> None:
    mark(raw, "15", b=4, c=3, d=5)  # marks inside alternative cases
    condition(raw, "9", "8", ["a", "b"])  # on a criterion with cases (case a chosen)
    condition(raw, "15", "9", ["a", "b", "c"])  # and through one
    condition(raw, "3.5", "3.4", ["b"])  # marked criterion on a marked one


VARIANTS = {
    "01+marked story": variant("01", _story_marked),
    "01+chains": variant("01", _chains),
    "26+cases": variant("26", _cases),
}
RAWS: dict[str, Json] = {**RAW, **VARIANTS}


def _sheet(name: str, raw: Json) -> Sheet:
    sheet = parse_sheet(raw, name)
    errors = [str(i) for i in check_sheet(sheet, "qd26-2026") if i.level == "ERROR"]
    assert not errors, errors  # every variant is valid rubric data
    return sheet


SHEETS: dict[str, Sheet] = {name: _sheet(name, raw) for name, raw in RAWS.items()}


# ----------------------------------------------------------------------- strategies


@st.composite
def answer_sets(draw: st.DrawFn, name: str | None = None) -> tuple[str, Answers]:
    """A sheet's name and a valid answer set, from blank to complete.

    Each criterion is left out, sent as ``None`` or answered; in a "dense" set only the
    conditional criteria may be blank, so complete sets are common.
    """
    name = name or draw(st.sampled_from(sorted(RAWS)))
    dense = draw(st.booleans())
    answers: Answers = {}
    for _, _, crit in criteria(RAWS[name]):
        blank = not dense or "applies_when" in crit
        choice = draw(st.sampled_from([*([None] if blank else []), *answers_of(crit)]))
        if choice is not None or draw(st.booleans()):
            answers[crit["code"]] = choice
    return name, answers


# -------------------------------------------------------------------------- properties


@SETTINGS
@given(answer_sets())
def test_the_scorer_agrees_with_the_independent_reading(case: tuple[str, Answers]) -> None:
    name, answers = case
    sheet, expected = SHEETS[name], reference(RAWS[name], answers)
    result = score(sheet, answers)
    assert dict(result.criterion_points) == expected.points
    assert dict(result.part_totals) == expected.parts
    assert (result.total, result.band) == (expected.total, expected.band)
    assert result.star_rank == expected.rank
    assert result.marks_met_level == expected.marks_level
    assert {k: list(v) for k, v in result.unmet_marks.items()} == expected.unmet
    assert list(result.holding_back) == expected.holding_back
    assert list(result.missing) == expected.missing
    assert list(result.not_applicable) == expected.not_applicable
    assert validate_answers(sheet, answers, complete=False) == {}
    errors = validate_answers(sheet, answers, complete=True)
    assert sorted(errors) == sorted(expected.missing)
    assert all(message.startswith("missing answer") for message in errors.values())


@SETTINGS
@given(answer_sets(), st.data())
def test_an_answer_to_a_criterion_that_does_not_apply_changes_nothing(
    case: tuple[str, Answers], data: st.DataObject
) -> None:
    name, answers = case
    off = reference(RAWS[name], answers).not_applicable
    if not off:
        return
    code = data.draw(st.sampled_from(off))
    other = data.draw(st.sampled_from([None, *answers_of(criterion(RAWS[name], code))]))
    changed = {**answers, code: other}
    sheet = SHEETS[name]
    assert score(sheet, changed) == score(sheet, answers)
    assert validate_answers(sheet, changed, complete=True) == validate_answers(
        sheet, answers, complete=True
    )


@SETTINGS
@given(answer_sets(), st.data())
def test_a_wrong_answer_is_refused_even_where_it_would_be_ignored(
    case: tuple[str, Answers], data: st.DataObject
) -> None:
    name, answers = case
    code = data.draw(st.sampled_from([c["code"] for _, _, c in criteria(RAWS[name])]))
    wrong = data.draw(st.sampled_from(["z", "A", "", "maybe", 1, True]))
    changed: dict[str, object] = {**answers, code: wrong}
    for complete in (False, True):
        assert code in validate_answers(SHEETS[name], changed, complete=complete)
    try:
        score(SHEETS[name], changed)
    except AnswerError as exc:
        assert code in exc.errors
    else:
        raise AssertionError("score accepted a wrong answer")


@st.composite
def councils(draw: st.DrawFn) -> tuple[str, list[Answers]]:
    """One to six members' complete answer sets on one sheet."""
    name = draw(st.sampled_from(sorted(RAWS)))
    count = draw(st.integers(min_value=1, max_value=6))
    sets = []
    for _ in range(count):
        _, answers = draw(answer_sets(name))
        for _ in range(3):  # answering one criterion can make another apply (chains of two)
            for code in reference(RAWS[name], answers).missing:
                answers[code] = answers_of(criterion(RAWS[name], code))[0]
        assert not reference(RAWS[name], answers).missing
        sets.append(answers)
    return name, sets


@SETTINGS
@given(councils())
def test_a_council_agrees_with_the_independent_reading(case: tuple[str, list[Answers]]) -> None:
    name, answer_sets_ = case
    readings = [reference(RAWS[name], answers) for answers in answer_sets_]
    result = aggregate(
        [
            MemberSheet.scored(f"m{i}", SHEETS[name], answers)
            for i, answers in enumerate(answer_sets_)
        ]
    )
    assert result.total_mean == pytest.approx(sum(r.total for r in readings) / len(readings))
    unmet: dict[int, list[str]] = {level: [] for level in LEVELS}
    for _, _, crit in criteria(RAWS[name]):
        code = crit["code"]
        counted = [r for r in readings if code not in r.not_applicable]
        for level in LEVELS:
            meeting = sum(code not in r.unmet[level] for r in counted)
            if counted and 2 * meeting <= len(counted):
                unmet[level].append(code)
    assert {k: list(v) for k, v in result.unmet_marks.items()} == unmet
    assert result.star_rank == rank_of(band_of(result.total_mean), unmet)
