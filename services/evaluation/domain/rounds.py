"""Evaluation rounds (đợt đánh giá, Decision 26/2026 Art. 5) and which round takes a proposal.

The default calendar is 26/2026's: the province holds two rounds a year, closing 30 June for
proposals received by 30 April and 30 December for proposals by 30 October; the ministry two,
closing 30 March for proposals by 30 January and 30 September for proposals by 30 July.
Under the four-level regime the national council uses the ministry's calendar; a district
has no default calendar and must be configured. Extra rounds may be added.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from .regime import LevelCode


@dataclass(frozen=True, slots=True)
class Round:
    """One evaluation round at a level: proposals due by one date, closing on another."""

    level: LevelCode
    closes_on: date
    proposals_due: date

    def __post_init__(self) -> None:
        if self.proposals_due > self.closes_on:
            raise ValueError("a round cannot take proposals after it closes")

    def takes(self, proposal_date: date) -> bool:
        """Whether a proposal received on ``proposal_date`` is in time for this round."""
        return proposal_date <= self.proposals_due


#: (proposals due, closes on) as (month, day) pairs per level, in calendar order.
DEFAULT_CALENDAR: dict[LevelCode, tuple[tuple[tuple[int, int], tuple[int, int]], ...]] = {
    LevelCode.PROVINCE: (((4, 30), (6, 30)), ((10, 30), (12, 30))),
    LevelCode.NATIONAL: (((1, 30), (3, 30)), ((7, 30), (9, 30))),
}


def default_rounds(level_kind: LevelCode | str, year: int) -> tuple[Round, ...]:
    """The rounds of ``year`` at ``level_kind`` under the 26/2026 calendar, in order."""
    code = LevelCode(level_kind)
    try:
        dates = DEFAULT_CALENDAR[code]
    except KeyError:
        raise ValueError(f"no default evaluation rounds at the {code} level") from None
    return tuple(
        Round(code, closes_on=date(year, *closes), proposals_due=date(year, *due))
        for due, closes in dates
    )


def round_for(
    proposal_date: date, level_kind: LevelCode | str, *, extra_rounds: Iterable[Round] = ()
) -> Round:
    """The first round whose proposals are due on or after ``proposal_date``."""
    code = LevelCode(level_kind)
    candidates = [r for r in extra_rounds if r.level == code]
    for year in (proposal_date.year, proposal_date.year + 1):
        candidates.extend(default_rounds(code, year))
    in_time = [r for r in candidates if r.takes(proposal_date)]
    return min(in_time, key=lambda r: (r.proposals_due, r.closes_on))
