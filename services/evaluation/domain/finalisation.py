"""Closing a council's scoring of one dossier (kết thúc phiên đánh giá).

In order: refused without a quorum; a knockout or stop finding ends the evaluation whatever
the spread (re-scoring could not change it); if members' totals differ by more than the
council's maximum, the sheets reopen for re-scoring; otherwise the mean result is taken and
its outcome decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.rubrics import Rule

from .aggregation import CouncilResult, MemberSheet, aggregate
from .council_rules import CouncilRules, has_quorum, spread
from .outcome import Outcome, decide
from .regime import Level, LevelCode, Regime


class NoQuorum(Exception):
    """Too few eligible members handed in sheets, or the chair did not; ``code`` and
    ``params`` for the reader's words."""

    code = "evaluation.no_quorum"

    def __init__(self, sheets: int) -> None:
        super().__init__(f"{sheets} sheets do not make a quorum")
        self.params = {"sheets": sheets}


@dataclass(frozen=True, slots=True)
class Reopened:
    """Members' totals differ too much: the council discusses and members re-score."""

    spread: float
    max_spread: float


@dataclass(frozen=True, slots=True)
class Finalised:
    """The council's result and where it sends the dossier."""

    result: CouncilResult
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class Council:
    """A council as finalising sees it: its rules, members, chair and conflicted members."""

    rules: CouncilRules
    members: frozenset[str]
    chair: str
    conflicted: frozenset[str] = frozenset()


def finalise(
    *,
    regime: Regime,
    level: Level | LevelCode | str,
    council: Council,
    sheets: Sequence[MemberSheet],
    findings: Iterable[Rule] = (),
) -> Reopened | Finalised:
    """Finalise a council's scoring; ``NoQuorum`` if it may not close yet."""
    authors = [s.member_id for s in sheets]
    barred = set(authors) & set(council.conflicted)
    strangers = set(authors) - set(council.members)
    if barred or strangers:
        raise ValueError(
            f"sheets by conflicted members or non-members: {sorted(barred | strangers)}"
        )
    if not has_quorum(council.rules, council.members, authors, council.chair, council.conflicted):
        raise NoQuorum(len(authors))
    found = tuple(findings)
    if not found and council.rules.spread_exceeded(s.total for s in sheets):
        return Reopened(spread([s.total for s in sheets]), council.rules.max_spread)
    result = aggregate(sheets, findings=found)
    return Finalised(result, decide(regime, level, result))
