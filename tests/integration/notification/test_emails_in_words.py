"""The emails as they reach a mailbox (read from the SMTP sink) write dates as the reader's
language does (06/12/2026, 6 Dec 2026) and name every code in words: a revocation ground, a
refusal's reason, an outcome, the document kinds a returned dossier lacks (issue 15.1, 15.2)."""

from __future__ import annotations

import re
from email.message import EmailMessage

from tests.integration.notification.conftest import send
from tests.integration.notification.test_decisions_told import (  # noqa: F401
    CERTIFICATE,
    EVALUATION,
    about_the_case,
    people,
    told,
)

ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
# A code as the events carry it (breach_of_law, below_three_stars, business_registration).
CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)+\b")
CODES = ("breach_of_law", "not_recognised", "below_three_stars", "business_registration")


def _readable(message: EmailMessage) -> str:
    """The subject and both bodies, without the links (a link may hold anything)."""
    parts = [str(message["Subject"])]
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            parts.append(part.get_content())
    return re.sub(r"https?://\S+", "", "\n".join(parts))


def test_the_emails_write_dates_and_codes_for_people(notification, people, mailbox) -> None:  # noqa: F811
    events = [
        about_the_case(
            people,
            "certificate.revoked",
            **{**CERTIFICATE, "issued_on": "2026-01-10"},
            ground="breach_of_law",
            revoked_on="2026-12-06",
            note=None,
            found_on="2026-12-01",
            late=False,
        ),
        about_the_case(
            people,
            "evaluation.decided",
            **EVALUATION,
            outcome="not_recognised",
            star_rank=2,
            reason_code="below_three_stars",
            result=None,
        ),
    ]
    for event in events:
        told(notification, people, event)
    send(notification)

    english = mailbox.to(people["applicant"]["email"])
    vietnamese = mailbox.to(people["officer"]["email"])
    assert len(english) == len(vietnamese) == len(events)
    for message in english + vietnamese:
        text = _readable(message)
        assert not ISO_DAY.search(text), text
        assert not CODE.search(text), CODE.search(text)
        assert not any(code in text for code in CODES), text
    revoked_en, revoked_vi = _readable(english[0]), _readable(vietnamese[0])
    assert "is revoked from 6 Dec 2026" in revoked_en
    assert "bị thu hồi từ ngày 06/12/2026" in revoked_vi
    assert "Căn cứ: Vi phạm pháp luật về chất lượng, an toàn thực phẩm" in revoked_vi
    assert "Ground: A breach of quality, food-safety" in revoked_en
    refused_en, refused_vi = _readable(english[1]), _readable(vietnamese[1])
    assert "not recognised" in refused_en and "below the 3 stars" in refused_en
    assert "không được công nhận (cấp huyện)" in refused_vi
    assert "thấp hơn mức 3 sao" in refused_vi
