"""Every decision is told to the applicant and the commune, each in their own language, with the
reason in words (issue 20.4; by law, results go to the applicant and the commune at every
decision): recognition, refusal, hand-back, revocation and expiry; and a council seat's email
links to the portal. Events go into the notification service's inbox as the broker would bring
them; the deliveries it queued are read back."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete

from services.notification.models import Delivery
from shared.events import new_event
from shared.events.envelope import Actor
from tests.integration.notification.conftest import PORTAL, add_contact, deliveries_of

COMMUNE_UNIT = "pre2025:commune:19333"
DISTRICT_UNIT = "pre2025:district:461"
RESULT = {
    "parts": {"A": 20.0, "B": 15.0, "C": 10.0},
    "total": 45.0,
    "band": 2,
    "marks_met_level": 2,
    "star_rank": 2,
    "members": 3,
    "findings": [],
}
CERTIFICATE = {
    "number": "OCOP-45.461-2026-00017",
    "star_rank": 3,
    "authority_unit": DISTRICT_UNIT,
    "decision_number": "12/QĐ-UBND",
    "issued_on": "2026-01-10",
    "expires_on": "2029-01-10",
}


@pytest.fixture()
def people(notification, monkeypatch) -> Iterator[dict[str, dict[str, Any]]]:
    """An English-speaking applicant and the commune's officer (Vietnamese), on a new case in a
    commune of their own (so the commune's queue is this officer alone), and the district's
    secretariat. What the test queued is dropped after it: other modules count what the
    sender sends."""
    monkeypatch.setenv("OCOP_PORTAL_URL", PORTAL)
    commune = f"{uuid.uuid4().int % 100000:05d}"
    started = datetime.now(UTC)
    yield {
        "commune": {"code": commune},
        "applicant": add_contact(notification, roles=["applicant"], language="en", name="Tam"),
        "officer": add_contact(
            notification, roles=["commune_officer"], unit=f"pre2025:commune:{commune}"
        ),
        "secretariat": add_contact(notification, roles=["secretariat"], unit=DISTRICT_UNIT),
    }
    with notification.db.unit_of_work() as uow:
        uow.session.execute(delete(Delivery).where(Delivery.created_at >= started))
        uow.commit()


def about_the_case(people: dict[str, Any], type_: str, **payload: Any) -> Any:
    facts = {
        "dossier_id": uuid.uuid4(),
        "product_name": "Mật ong hoa cà phê",
        "product_code": "45-19333-001-2026",
        "product_set_code": "04",
        "producer_name": "HTX Đông Hà",
        "owner_account_id": people["applicant"]["account_id"],
        "consultant_account_ids": [],
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": "461",
        "commune_code": people["commune"]["code"],
        "level": "district",
    }
    return new_event(
        type_,
        {**facts, **payload},
        producer="evaluation",
        actor=Actor(user_id=None, role="system"),
        dossier_id=facts["dossier_id"],
    )


def told(notification: Any, people: dict[str, Any], event: Any) -> dict[str, Any]:
    """Feed ``event``; the deliveries to the applicant and the commune's officer, by name."""
    assert notification.inbox().consume(event.to_dict()) == "handled"
    rows = {str(d.account_id): d for d in deliveries_of(notification, event.event_id)}
    found = {}
    for name in ("applicant", "officer"):
        row = rows.get(people[name]["account_id"])
        assert row is not None, f"{event.type}: the {name} is not told"
        found[name] = row
    assert (found["applicant"].audience, found["officer"].audience) == ("applicant", "commune")
    assert (found["applicant"].language, found["officer"].language) == ("en", "vi")
    for row in found.values():
        assert f"{PORTAL}/dossiers/{event.payload['dossier_id']}" in row.body_text
    return found


EVALUATION = {"evaluation_id": uuid.uuid4(), "council_id": uuid.uuid4()}


def test_a_recognition_is_told_with_the_rank_and_decision(notification, people) -> None:
    decided = about_the_case(
        people,
        "evaluation.decided",
        **EVALUATION,
        outcome="recognised",
        star_rank=3,
        result=RESULT | {"star_rank": 3, "total": 61.0},
        decision_number="12/QĐ-UBND",
    )
    mails = told(notification, people, decided)
    assert "recognised at the district level, 3 stars" in mails["applicant"].body_text
    assert "12/QĐ-UBND" in mails["officer"].body_text
    issued = about_the_case(people, "certificate.issued", **CERTIFICATE, replaces=None)
    mails = told(notification, people, issued)
    assert "valid until 10 Jan 2029" in mails["applicant"].body_text


def test_a_refusal_is_told_with_its_reason(notification, people) -> None:
    refused = about_the_case(
        people,
        "evaluation.decided",
        **EVALUATION,
        outcome="not_recognised",
        reason_code="below_three_stars",
        star_rank=2,
        result=RESULT,
    )
    mails = told(notification, people, refused)
    assert "Reason: The council's result, 2 stars, is below the 3 stars" in (
        mails["applicant"].body_text
    )
    assert "Lý do: Kết quả của hội đồng, 2 sao, thấp hơn mức 3 sao" in mails["officer"].body_text
    for mail in mails.values():
        assert "below_three_stars" not in mail.body_text + mail.body_html


def test_a_hand_back_is_told_to_the_commune_too(notification, people) -> None:
    handed = about_the_case(
        people,
        "evaluation.handed_back",
        **EVALUATION,
        level="province",
        to_level="district",
        star_rank=3,
        result=RESULT | {"star_rank": 3},
    )
    mails = told(notification, people, handed)
    assert "is for the district level to recognise" in mails["applicant"].body_text
    assert "thuộc thẩm quyền công nhận của cấp huyện" in mails["officer"].body_text
    secretariat = [
        d
        for d in deliveries_of(notification, handed.event_id)
        if str(d.account_id) == people["secretariat"]["account_id"]
    ]
    assert [d.audience for d in secretariat] == ["next_secretariat"]


def test_a_revocation_is_told_with_its_ground_in_words(notification, people) -> None:
    revoked = about_the_case(
        people,
        "certificate.revoked",
        **CERTIFICATE,
        ground="breach_of_law",
        revoked_on="2026-12-01",
        note=None,
        found_on="2026-11-28",
        late=False,
    )
    mails = told(notification, people, revoked)
    assert (
        "Ground: A breach of quality, food-safety, environment, intellectual-property or "
        "labelling law" in mails["applicant"].body_text
    )
    assert "Căn cứ: Vi phạm pháp luật về chất lượng" in mails["officer"].body_text
    assert "bị thu hồi từ ngày 01/12/2026" in mails["officer"].body_text
    assert "is revoked from 1 Dec 2026" in mails["applicant"].body_text
    for mail in mails.values():
        assert "breach_of_law" not in mail.body_text + mail.body_html + mail.subject


def test_an_expiry_is_told_to_the_commune_with_its_reason(notification, people) -> None:
    expired = about_the_case(people, "certificate.expired", **CERTIFICATE)
    mails = told(notification, people, expired)
    assert "expired on 10 Jan 2029" in mails["applicant"].body_text
    assert "no re-evaluation renewed it" in mails["applicant"].body_text
    assert "không có kết quả đánh giá lại thay thế" in mails["officer"].body_text


def test_a_council_seat_links_to_the_members_portal_home(notification, people) -> None:
    member = add_contact(notification, roles=["council_member"], unit=DISTRICT_UNIT)
    event = new_event(
        "council.member_added",
        {
            "council_id": uuid.uuid4(),
            "council_name": "Hội đồng OCOP huyện Đông Hà",
            "level": "district",
            "unit": DISTRICT_UNIT,
            "account_id": member["account_id"],
            "role": "member",
        },
        producer="evaluation",
        actor=Actor(user_id=None, role="system"),
    )
    assert notification.inbox().consume(event.to_dict()) == "handled"
    [mail] = deliveries_of(notification, event.event_id)
    assert str(mail.account_id) == member["account_id"]
    assert f"Mở cổng thông tin OCOP: {PORTAL}/" in mail.body_text
    assert f'href="{PORTAL}/"' in mail.body_html
