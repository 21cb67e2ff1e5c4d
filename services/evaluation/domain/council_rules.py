"""Per-council rules: quorum and the maximum spread between members' totals.

Provincial rules in force use a quorum of at least 3/4 of the members including the chair,
and let members' totals differ by at most 10 points; otherwise the council discusses and
members re-score. Both are per-council configuration with those defaults.

Conflict of interest (no national rule; the system's own): a member with a declared or found
tie to the applicant may not score the dossier and is left out of the membership the quorum
is counted on. A conflicted chair cannot be the chair of that session: pass the acting chair.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

#: Slack for float noise when comparing a spread with the maximum (totals are whole points
#: or means with a few decimals; 1e-9 is far below any meaningful difference).
SPREAD_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class CouncilRules:
    """One council's quorum and spread rules (quy chế hoạt động của hội đồng)."""

    quorum_numerator: int = 3
    quorum_denominator: int = 4
    chair_required: bool = True
    max_spread: float = 10.0

    def __post_init__(self) -> None:
        if not 0 < self.quorum_numerator <= self.quorum_denominator:
            raise ValueError("quorum must be a fraction in (0, 1]")
        if self.max_spread < 0:
            raise ValueError("max_spread must not be negative")

    def quorum_size(self, eligible: int) -> int:
        """Fewest sheets that make a quorum of ``eligible`` members (rounded up)."""
        if eligible < 0:
            raise ValueError("eligible must not be negative")
        return -(-eligible * self.quorum_numerator // self.quorum_denominator)

    def spread_exceeded(self, totals: Iterable[float]) -> bool:
        """Whether members' totals differ by more than ``max_spread`` (they must re-score)."""
        return spread(totals) > self.max_spread + SPREAD_TOLERANCE


def has_quorum(
    rules: CouncilRules,
    members: Iterable[str],
    present_sheet_authors: Iterable[str],
    chair: str,
    conflicted: Iterable[str] = (),
) -> bool:
    """Whether the sheets handed in make a quorum (đủ số lượng thành viên tham dự).

    Conflicted members are removed from the membership before the fraction is taken, and
    their sheets, like sheets of non-members, do not count. With ``chair_required`` the
    chair must be an eligible member who handed in a sheet. No eligible member: no quorum.
    """
    excluded = set(conflicted)
    eligible = set(members) - excluded
    present = set(present_sheet_authors) & eligible
    if not eligible:
        return False
    if rules.chair_required and chair not in present:
        return False
    return len(present) >= rules.quorum_size(len(eligible))


def spread(totals: Iterable[float]) -> float:
    """Highest minus lowest of members' totals; ``ValueError`` if there are none."""
    values = list(totals)
    if not values:
        raise ValueError("no totals to compare")
    return float(max(values) - min(values))
