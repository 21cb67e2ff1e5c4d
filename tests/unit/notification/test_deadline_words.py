"""Deadline emails name the deadline in the reader's language, for every deadline the evaluation
service raises (the round's close, a re-evaluation's 45-day decision), never by its code."""

from __future__ import annotations

import uuid

import pytest

from services.notification.adapters.templating import Catalogue
from services.notification.domain.recipients import Recipient
from shared.events.schemas_evaluation import DeadlineEvent

DEADLINES = sorted(DeadlineEvent().fields["deadline"].validate.choices)  # type: ignore[union-attr]
WORDS = {
    ("vi", "round_close"): "kết thúc đợt đánh giá",
    ("en", "round_close"): "round close",
    ("vi", "reevaluation_decision"): "quyết định phân hạng lại",
    ("en", "reevaluation_decision"): "re-evaluation decision",
}


def test_the_deadlines_raised_are_the_ones_worded() -> None:
    assert {code for _, code in WORDS} == set(DEADLINES)


@pytest.mark.parametrize("event_type", ["deadline.approaching", "deadline.breached"])
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("deadline", DEADLINES)
def test_a_deadline_email_names_it_in_words(event_type: str, language: str, deadline: str) -> None:
    recipient = Recipient(uuid.uuid4(), "x@example.vn", "Lê Văn Tâm", language, "secretariat")
    rendered = Catalogue().render(
        event_type=event_type,
        payload={
            "product_name": "Mật ong hoa cà phê",
            "level": "province",
            "deadline": deadline,
            "due_on": "2027-02-11",
        },
        recipient=recipient,
        portal_url="http://portal.test",
        dossier_id=str(uuid.uuid4()),
    )
    assert WORDS[(language, deadline)] in rendered.text
    assert deadline not in rendered.text and deadline not in rendered.subject
