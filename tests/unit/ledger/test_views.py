"""Who sees which entries of a case file (services.registration.ledger.views, pure rules)."""

from __future__ import annotations

from typing import Any

import pytest

from services.registration.ledger.views import Viewer, closed_evaluations, hidden_kinds, visible

AUDITOR = Viewer(account_id="auditor", full=True, official=True)
MEMBER = Viewer(account_id="member-1", full=False, official=True)
APPLICANT = Viewer(account_id="owner", full=False, official=False)


def entry(kind: str, **payload: Any) -> dict[str, Any]:
    return {"kind": kind, "payload": payload}


SHEET = entry("evaluation.sheet_submitted", account_id="member-2", evaluation_id="ev-1")
OWN_SHEET = entry("evaluation.sheet_submitted", account_id="member-1", evaluation_id="ev-1")
EMAIL_TO_OWNER = entry("notification.sent", account_id="owner")
EMAIL_TO_MEMBER = entry("notification.sent", account_id="member-1")
READ = entry("case_file.read", what="history")
CONFLICT = entry("evaluation.conflict_declared", account_id="member-2")
STEP = entry("dossier.accepted")


@pytest.mark.parametrize(
    ("who", "item", "closed", "seen"),
    [
        (AUDITOR, SHEET, set(), True),
        (AUDITOR, READ, set(), True),
        (AUDITOR, EMAIL_TO_OWNER, set(), True),
        (MEMBER, SHEET, set(), False),
        (MEMBER, SHEET, {"ev-1"}, True),
        (MEMBER, OWN_SHEET, set(), True),
        (MEMBER, EMAIL_TO_OWNER, set(), False),
        (MEMBER, EMAIL_TO_MEMBER, set(), True),
        (MEMBER, READ, set(), False),
        (MEMBER, CONFLICT, set(), True),
        (APPLICANT, SHEET, {"ev-1"}, False),
        (APPLICANT, CONFLICT, set(), False),
        (APPLICANT, EMAIL_TO_OWNER, set(), True),
        (APPLICANT, EMAIL_TO_MEMBER, set(), False),
        (APPLICANT, READ, set(), False),
        (APPLICANT, STEP, set(), True),
    ],
)
def test_visibility(who: Viewer, item: dict[str, Any], closed: set[str], seen: bool) -> None:
    assert visible(who, item, closed) is seen


def test_sql_exclusions_match_the_rules() -> None:
    assert hidden_kinds(AUDITOR) == frozenset()
    assert hidden_kinds(MEMBER) == {"case_file.read"}
    assert "evaluation.sheet_revised" in hidden_kinds(APPLICANT)
    closing = [{"evaluation_id": "ev-1", "outcome": "forwarded"}, {"outcome": "returned"}]
    assert closed_evaluations(closing) == {"ev-1"}
