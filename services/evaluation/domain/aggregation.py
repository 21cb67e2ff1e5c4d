"""A council's result: the mean of its members' score sheets (kết quả đánh giá của hội đồng).

Totals and parts are the arithmetic mean of members' sheets, kept raw; the band is taken on
the raw mean (89.96 is 4★) and rounding is for display only (one decimal, half up).

Star marks for a council
------------------------
The star rank of a product on one sheet (docs/domain.md#scoring) is the lower of the band and the
highest level whose marked minimums are met on every marked criterion. A council has several
sheets, and the legal texts do not say how their marks combine. This module takes, for each
criterion, the **median member**: a mark is met for the council when the lower median
(``statistics.median_low``) of members' points on that criterion reaches the marked option's
points. Why the median and not the alternatives:

* the mean per criterion falls between options (2.5 points is no box on the sheet) and one
  harsh or lenient member can move it across a mark on his own;
* taking each member's own marks level and then a minimum lets one member veto a rank the
  others agree on, and a maximum lets one member grant it;
* the lower median is always a point value some member chose, and "the lower median meets
  the mark" is exactly "a strict majority of members meet it": with an even number of
  members a 2–2 split does not meet the mark (the conservative reading of a tie).

Criteria with alternative cases (set 26) are compared through each member's margin, points
minus the requirement of the case that member chose; when all members chose the same case
(always, outside set 26) this is the same as the median points against the requirement.
Conditional criteria and unanswered ones score as ``shared.rubrics.score`` scores them, so a
council of one has exactly that member's marks level. A conditional criterion that does not
apply on a member's sheet (5.2 where that member found no product story) neither meets nor
fails a mark there: that member is left out of the median for that criterion, and a
criterion that applies on no member's sheet imposes nothing.

Knockout and stop findings (rules printed on the sheet: "Hồ sơ bị loại khi…", "…không đánh
giá các bước tiếp theo") are recorded for the council as a whole, not per member; a result
carrying one supports no rank (see :mod:`.outcome`).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from shared.rubrics import (
    Criterion,
    Rule,
    Score,
    Sheet,
    marked_minimum,
    score,
    star_band,
)
from shared.rubrics.model import MARK_LEVELS

#: Tolerance when checking that part means add up to the total mean.
_SUM_TOLERANCE = 1e-6
_ONE_DECIMAL = Decimal("0.1")


class IncompleteSheet(ValueError):
    """A member's sheet leaves non-conditional criteria unanswered."""


@dataclass(frozen=True, slots=True)
class MemberSheet:
    """One council member's score sheet (phiếu đánh giá của thành viên) for one dossier."""

    member_id: str
    sheet: Sheet
    answers: Mapping[str, str | None]
    score: Score

    @classmethod
    def scored(cls, member_id: str, sheet: Sheet, answers: Mapping[str, str | None]) -> MemberSheet:
        """Score ``answers`` against ``sheet`` for ``member_id`` (``AnswerError`` if invalid)."""
        return cls(member_id, sheet, dict(answers), score(sheet, answers))

    @property
    def part_points(self) -> Mapping[str, int]:
        """Points per part, ``{"A": …, "B": …, "C": …}``."""
        return self.score.part_totals

    @property
    def total(self) -> int:
        """The sheet's total points."""
        return self.score.total

    @property
    def marks_met_level(self) -> int:
        """Highest level (3–5) whose star marks this member's answers meet, else 2."""
        return self.score.marks_met_level


@dataclass(frozen=True, slots=True)
class DisplayedResult:
    """A council result rounded for display: one decimal, half up."""

    part_means: Mapping[str, Decimal]
    total_mean: Decimal
    star_rank: int


@dataclass(frozen=True, slots=True)
class CouncilResult:
    """The council's mean result; ``band`` and ``star_rank`` derive from the raw figures."""

    part_means: Mapping[str, float]
    total_mean: float
    #: Highest level (3–5) whose marks the council meets on every marked criterion, else 2.
    marks_met_level: int
    member_count: int
    set_code: str = ""
    #: Lower median of members' points per criterion, in sheet order.
    criterion_medians: Mapping[str, int] = field(default_factory=dict)
    #: For each level 3, 4, 5: criteria whose mark the council does not meet.
    unmet_marks: Mapping[int, tuple[str, ...]] = field(default_factory=dict)
    #: Knockout or stop rules the council found applicable.
    findings: tuple[Rule, ...] = ()

    def __post_init__(self) -> None:
        if self.member_count < 1:
            raise ValueError("a council result needs at least one sheet")
        if self.marks_met_level not in (2, *MARK_LEVELS):
            raise ValueError(f"marks_met_level {self.marks_met_level} outside 2..5")
        if abs(math.fsum(self.part_means.values()) - self.total_mean) > _SUM_TOLERANCE:
            raise ValueError("part means do not add up to the total mean")
        star_band(self.total_mean)  # a total outside 0..100 fails here, not on first use

    @property
    def band(self) -> int:
        """Star band of the raw mean total."""
        return star_band(self.total_mean)

    @property
    def star_rank(self) -> int:
        """``min(band, marks_met_level)``, the rank the result supports."""
        return min(self.band, self.marks_met_level)

    @property
    def knocked_out(self) -> bool:
        """Whether a knockout or stop finding ends the evaluation."""
        return bool(self.findings)

    @property
    def holding_back(self) -> tuple[str, ...]:
        """Criteria whose marks for ``star_rank + 1`` the council does not meet."""
        return tuple(self.unmet_marks.get(self.star_rank + 1, ()))

    def display(self) -> DisplayedResult:
        """The means rounded to one decimal (half up) for minutes and notices."""
        return DisplayedResult(
            part_means={code: _one_decimal(value) for code, value in self.part_means.items()},
            total_mean=_one_decimal(self.total_mean),
            star_rank=self.star_rank,
        )


def aggregate(sheets: Sequence[MemberSheet], *, findings: Iterable[Rule] = ()) -> CouncilResult:
    """The council result of complete member sheets of one scoring sheet."""
    sheet = _common_sheet(sheets)
    found = tuple(findings)
    unknown = [rule.text[:40] for rule in found if rule not in sheet.rules]
    if unknown:
        raise ValueError(f"findings not printed on set {sheet.set_code}: {unknown}")
    n = len(sheets)
    part_means = {
        part.code: math.fsum(s.part_points[part.code] for s in sheets) / n for part in sheet.parts
    }
    medians = {
        crit.code: statistics.median_low(s.score.criterion_points[crit.code] for s in sheets)
        for crit in sheet.criteria
    }
    unmet = {
        level: tuple(c.code for c in sheet.criteria if not _council_meets(c, level, sheets))
        for level in MARK_LEVELS
    }
    marks_level = next((lvl for lvl in sorted(MARK_LEVELS, reverse=True) if not unmet[lvl]), 2)
    return CouncilResult(
        part_means=part_means,
        total_mean=math.fsum(s.total for s in sheets) / n,
        marks_met_level=marks_level,
        member_count=n,
        set_code=sheet.set_code,
        criterion_medians=medians,
        unmet_marks=unmet,
        findings=found,
    )


def _common_sheet(sheets: Sequence[MemberSheet]) -> Sheet:
    if not sheets:
        raise ValueError("no member sheets to aggregate")
    sheet = sheets[0].sheet
    key = (sheet.rubric_version, sheet.set_code)
    if any((s.sheet.rubric_version, s.sheet.set_code) != key for s in sheets):
        raise ValueError("member sheets belong to different scoring sheets")
    ids = [s.member_id for s in sheets]
    if len(set(ids)) != len(ids):
        raise ValueError("a member handed in more than one sheet")
    incomplete = {s.member_id: s.score.missing for s in sheets if s.score.missing}
    if incomplete:
        raise IncompleteSheet(f"unanswered criteria: {incomplete}")
    return sheet


def _council_meets(criterion: Criterion, level: int, sheets: Sequence[MemberSheet]) -> bool:
    """Whether the median member meets ``criterion``'s mark for ``level``."""
    margins: list[float] = []
    for member in sheets:
        if criterion.code in member.score.not_applicable:
            continue  # neither meets nor fails: any answer there is ignored
        answer = member.answers.get(criterion.code)
        required = _required_points(criterion, level, answer)
        if required is None:
            margins.append(math.inf)  # nothing required of this member's case
            continue
        margins.append(member.score.criterion_points[criterion.code] - required)
    return not margins or statistics.median_low(margins) >= 0


def _required_points(criterion: Criterion, level: int, answer: str | None) -> int | None:
    """Points ``criterion`` requires for ``level`` given ``answer``'s case, as the sheet does."""
    if not criterion.cases:
        option = marked_minimum(criterion, level)
        return None if option is None else option.points
    chosen = criterion.option(answer) if isinstance(answer, str) else None
    cases = [chosen.case] if chosen is not None else [case.code for case in criterion.cases]
    # Unanswered: the case is unknown, so only what every case requires is certain.
    required = [marked_minimum(criterion, level, case) for case in cases]
    if any(option is None for option in required):
        return None
    return min(option.points for option in required if option is not None)


def _one_decimal(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(_ONE_DECIMAL, rounding=ROUND_HALF_UP)
