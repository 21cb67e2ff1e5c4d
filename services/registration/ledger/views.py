"""Who sees which entries of a case file (pure rules; the caller's reach is checked before).

- Auditors and admins see everything (their reads are recorded in the case file itself).
- Officials in reach (commune, secretariat, council, authority) see everything but: a council
  member's score sheet before the council closed (unless it is their own), emails addressed to
  others, and the record of auditors' reads.
- The applicant and its consultants see the case's steps and results, but no individual score
  sheet or conflict declaration (those belong to the council), only emails sent to themselves,
  and not the record of auditors' reads.

A hidden entry is left out of the page (its number is not reused, so a gap shows that
something was withheld, never what).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from shared.auth import OFFICIAL_ROLES, Principal

FULL_VIEW_ROLES = ("auditor", "admin")
SHEETS = frozenset({"evaluation.sheet_submitted", "evaluation.sheet_revised"})
CONFLICTS = frozenset({"evaluation.conflict_declared"})
EMAILS = frozenset({"notification.sent", "notification.failed"})
READS = frozenset({"case_file.read"})
# Events that close a council's evaluation.
CLOSING = frozenset(
    {
        "evaluation.awaiting_decision",
        "evaluation.forwarded",
        "evaluation.handed_back",
        "evaluation.decided",
    }
)


@dataclass(frozen=True, slots=True)
class Viewer:
    account_id: str
    full: bool
    official: bool


def viewer(principal: Principal) -> Viewer:
    return Viewer(
        account_id=principal.account_id,
        full=principal.has(*FULL_VIEW_ROLES),
        official=principal.has(*OFFICIAL_ROLES),
    )


def hidden_kinds(who: Viewer) -> frozenset[str]:
    """Kinds this viewer never sees (filtered in SQL)."""
    if who.full:
        return frozenset()
    if who.official:
        return READS
    return READS | SHEETS | CONFLICTS


def needs_closed_evaluations(who: Viewer) -> bool:
    return not who.full and who.official


def closed_evaluations(closing_payloads: Iterable[dict[str, Any]]) -> set[str]:
    return {str(p["evaluation_id"]) for p in closing_payloads if p.get("evaluation_id")}


def visible(who: Viewer, entry: dict[str, Any], closed: set[str]) -> bool:
    """Whether one entry (its parsed body) shows in this viewer's history."""
    if who.full:
        return True
    kind, payload = entry["kind"], entry["payload"]
    if kind in hidden_kinds(who):
        return False
    if kind in EMAILS:
        return str(payload.get("account_id")) == who.account_id
    if kind in SHEETS:
        own = str(payload.get("account_id")) == who.account_id
        return own or str(payload.get("evaluation_id")) in closed
    return True
