"""Emails from real events to a real SMTP sink: who gets one, what it looks like, and what
redeliveries and SMTP faults do (QUALITY.md items 6, 8, 17)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from services.notification.domain.messages import message_id
from services.notification.sink import (
    MAILBOX_UNAVAILABLE,
    SERVICE_NOT_AVAILABLE,
    TRY_AGAIN_LATER,
    FaultPlan,
)
from shared.events import new_event
from shared.events.envelope import Actor
from tests.integration.notification.conftest import (
    PORTAL,
    add_contact,
    contacts_with,
    deliveries_of,
    outbox_events,
    send,
)
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts

COMMUNE = flows.COMMUNE


def register(call: flows.Transport, language: str) -> flows.Actor:
    email = f"applicant-{uuid.uuid4().hex[:10]}@example.vn"
    reply = call(
        "POST",
        "/api/v1/accounts/register",
        json={
            "email": email,
            "password": flows.DEMO_PASSWORD,
            "display_name": "Lê Văn Tâm" if language == "vi" else "Tam Le",
            "language": language,
        },
    )
    assert reply.status == 201, reply.body
    return flows.login(call, email)


def mine(notification: Any, event: Any, contact: dict[str, Any]) -> list[Any]:
    """The deliveries of ``event`` to ``contact``."""
    rows = deliveries_of(notification, event.event_id)
    return [r for r in rows if str(r.account_id) == contact["account_id"]]


def decided_event(applicant_id: str, members: list[str], chair: str, **extra: Any) -> Any:
    payload = {
        "dossier_id": uuid.uuid4(),
        "product_name": "Mật ong hoa cà phê",
        "product_code": "45-19333-001-2026",
        "product_set_code": "04",
        "producer_name": "HTX Đông Hà",
        "owner_account_id": applicant_id,
        "consultant_account_ids": [],
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": "461",
        "commune_code": "19333",
        "level": "district",
        "evaluation_id": uuid.uuid4(),
        "council_id": uuid.uuid4(),
        "council_member_ids": members,
        "chair_id": chair,
        "outcome": "not_recognised",
        "reason": "Tổng điểm dưới 50",
        "result": {
            "parts": {"A": 20.5, "B": 12.25, "C": 10.0},
            "total": 42.75,
            "band": 2,
            "marks_met_level": 2,
            "star_rank": 2,
            "members": 2,
        },
        **extra,
    }
    return new_event(
        "evaluation.decided",
        payload,
        producer="evaluation",
        actor=Actor(user_id=chair, role="council_chair"),
        dossier_id=payload["dossier_id"],
    )


def test_submission_tells_the_applicant_and_the_commune_officers_once_each(
    call, commune_officer, registration, notification, mailbox
) -> None:
    applicant = register(call, "en")
    deliver_accounts(registration, notification)
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    assert flows.act(applicant, dossier, "submit").status == 200

    assert deliver(registration, notification, dossier["id"]) >= 1
    report = send(notification)

    officers = contacts_with(notification, "commune_officer", COMMUNE)
    assert commune_officer.account["email"] in officers
    expected = {applicant.account["email"], *officers}
    assert report.sent == len(expected) and report.failed == report.retrying == 0
    assert sorted(mailbox.addresses()) == sorted(expected)  # each once, nobody else

    (mail,) = mailbox.to(applicant.account["email"])
    assert mail["Subject"].startswith("[OCOP] Dossier submitted:")  # English, as chosen
    (officer_mail,) = mailbox.to(commune_officer.account["email"])
    assert officer_mail["Subject"].startswith("[OCOP] Hồ sơ đã nộp:")
    assert "Kính gửi" in officer_mail.get_body(("plain",)).get_content()
    link = f"{PORTAL}/dossiers/{dossier['id']}"
    for message in (mail, officer_mail):
        assert link in message.get_body(("plain",)).get_content()
        assert f'href="{link}"' in message.get_body(("html",)).get_content()


def test_every_email_is_multipart_alternative_with_encoded_headers(notification, mailbox) -> None:
    applicant = add_contact(notification, roles=["applicant"], name="Trần Thị Lan")
    event = decided_event(applicant["account_id"], [], None)
    notification.inbox().consume(event.to_dict())
    send(notification)

    (raw,) = mailbox.raw_to(applicant["email"])
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # RFC 2047 encoded words, no raw UTF-8 in headers
    assert b"=?utf-8?" in head.lower()
    (mail,) = mailbox.to(applicant["email"])
    assert mail.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in mail.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in mail.iter_parts())
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"] is not None and mail["Date"].datetime.tzinfo is not None
    assert "Trần Thị Lan" in str(mail["To"])
    expected_id = message_id(event.event_id, uuid.UUID(applicant["account_id"]), "ocop.test")
    assert mail["Message-ID"] == expected_id
    # The decision: reason and per-part scores, in the applicant's language (vi).
    text = mail.get_body(("plain",)).get_content()
    assert "không được công nhận" in mail["Subject"]
    assert "Lý do: Tổng điểm dưới 50" in text
    assert "Phần A: 20.5" in text and "Phần B: 12.3" in text and "Tổng điểm: 42.8" in text
    (row,) = mine(notification, event, applicant)
    (sent,) = outbox_events(notification, "notification.sent", row.id)
    assert sent["dossier_id"] == str(event.dossier_id)
    assert sent["payload"]["message_id"] == expected_id
    assert sent["payload"]["template"] == "vi/evaluation.decided"


def test_a_decision_reaches_members_in_their_language_and_nobody_else(
    notification, mailbox
) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    chair = add_contact(notification, roles=["council_chair"], language="en", name="Chair")
    member = add_contact(notification, roles=["council_member"])
    bystander = add_contact(notification, roles=["council_member"])
    event = decided_event(applicant["account_id"], [member["account_id"]], chair["account_id"])
    assert notification.inbox().consume(event.to_dict()) == "handled"
    send(notification)

    officers = contacts_with(notification, "commune_officer", COMMUNE)
    expected = {applicant["email"], chair["email"], member["email"], *officers}
    assert sorted(mailbox.addresses()) == sorted(expected)
    assert not mailbox.to(bystander["email"])
    (chair_mail,) = mailbox.to(chair["email"])
    assert "not recognised" in chair_mail["Subject"]
    (member_mail,) = mailbox.to(member["email"])
    assert "không được công nhận" in member_mail["Subject"]


def test_a_redelivered_event_sends_nothing_more(notification, mailbox) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    event = decided_event(applicant["account_id"], [], None)
    assert notification.inbox().consume(event.to_dict()) == "handled"
    send(notification)
    before = len(mailbox.messages())
    for _ in range(3):
        assert notification.inbox().consume(event.to_dict()) == "duplicate"
    assert send(notification).sent == 0
    assert len(mailbox.messages()) == before
    assert len(deliveries_of(notification, event.event_id)) == before


def test_a_transient_failure_is_retried_under_the_same_message_id(
    notification, sink, mailbox
) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    sink.faults = FaultPlan().reply(applicant["email"], TRY_AGAIN_LATER)
    event = decided_event(applicant["account_id"], [], None)
    notification.inbox().consume(event.to_dict())

    first = send(notification)
    assert first.retrying == 1  # the others (commune officers) went through
    (row,) = mine(notification, event, applicant)
    assert row.status == "failed_transient" and row.attempts == 1 and "451" in row.last_error
    assert send(notification).sent == 0  # not due yet: backoff
    later = datetime.now(UTC) + timedelta(hours=2)
    assert send(notification, now=lambda: later).sent == 1

    (mail,) = mailbox.to(applicant["email"])
    assert mail["Message-ID"] == row.message_id
    (row,) = mine(notification, event, applicant)
    assert row.status == "sent" and row.attempts == 2
    (sent,) = outbox_events(notification, "notification.sent", row.id)
    assert sent["payload"]["attempts"] == 2


def test_a_permanent_failure_is_not_retried_and_is_surfaced(
    notification, sink, mailbox, caplog
) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    sink.faults = FaultPlan().reply(applicant["email"], MAILBOX_UNAVAILABLE)
    event = decided_event(applicant["account_id"], [], None)
    notification.inbox().consume(event.to_dict())

    report = send(notification)
    assert report.failed == 1
    later = datetime.now(UTC) + timedelta(days=2)
    assert send(notification, now=lambda: later).sent == 0
    (row,) = mine(notification, event, applicant)
    assert row.status == "failed_permanent" and row.attempts == 1 and "550" in row.last_error
    assert not mailbox.to(applicant["email"])
    (failed,) = outbox_events(notification, "notification.failed", row.id)
    assert failed["payload"]["permanent"] is True and "550" in failed["payload"]["error"]
    assert failed["dossier_id"] == str(event.dossier_id)
    assert any(r.levelname == "ERROR" and str(row.id) in r.getMessage() for r in caplog.records)


def test_retries_are_bounded(notification, sink, mailbox, monkeypatch) -> None:
    monkeypatch.setenv("OCOP_MAIL_MAX_ATTEMPTS", "3")
    applicant = add_contact(notification, roles=["applicant"])
    sink.faults = FaultPlan().reply(applicant["email"], "421 Service not available", times=None)
    event = decided_event(applicant["account_id"], [], None)
    notification.inbox().consume(event.to_dict())
    start = datetime.now(UTC)
    for day in range(5):
        send(notification, now=lambda day=day: start + timedelta(days=day))
    (row,) = mine(notification, event, applicant)
    assert row.status == "failed_permanent" and row.attempts == 3
    (failed,) = outbox_events(notification, "notification.failed", row.id)
    assert failed["payload"]["permanent"] is False
    assert not mailbox.to(applicant["email"])


def test_a_drop_after_data_yields_at_most_one_duplicate_with_the_same_message_id(
    notification, sink, mailbox
) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    sink.faults = FaultPlan().drop_after_data(applicant["email"])
    event = decided_event(applicant["account_id"], [], None)
    notification.inbox().consume(event.to_dict())

    assert send(notification).retrying == 1
    later = datetime.now(UTC) + timedelta(hours=2)
    assert send(notification, now=lambda: later).sent == 1
    assert send(notification, now=lambda: later + timedelta(days=1)).sent == 0

    copies = mailbox.to(applicant["email"])
    assert len(copies) == 2  # the ambiguous one and the retry
    assert len({m["Message-ID"] for m in copies}) == 1


def test_mixed_faults_in_one_batch_and_redeliveries_never_double_beyond_the_ambiguous_one(
    notification, sink, mailbox
) -> None:
    """One event, several recipients, each meeting another fault in the same SMTP session,
    with the event redelivered between sender runs: every recipient gets the email, exactly
    once, except the ambiguous drop (twice, same Message-ID); one ``notification.sent`` each."""
    dropped = add_contact(notification, roles=["applicant"])
    closing = add_contact(notification, roles=["council_chair"])
    busy = add_contact(notification, roles=["council_member"])
    refused = add_contact(notification, roles=["council_member"])
    sink.faults = (
        FaultPlan()
        .drop_after_data(dropped["email"])
        .reply(closing["email"], SERVICE_NOT_AVAILABLE)  # and closes the connection
        .reply(busy["email"], TRY_AGAIN_LATER, times=2)
        .reply(refused["email"], MAILBOX_UNAVAILABLE)
    )
    members = [busy["account_id"], refused["account_id"]]
    event = decided_event(dropped["account_id"], members, closing["account_id"])
    assert notification.inbox().consume(event.to_dict()) == "handled"
    start = datetime.now(UTC)
    for hour in range(6):
        assert notification.inbox().consume(event.to_dict()) == "duplicate"
        send(notification, now=lambda hour=hour: start + timedelta(hours=hour))

    rows = {str(r.account_id): r for r in deliveries_of(notification, event.event_id)}
    statuses = {p["email"]: rows[p["account_id"]].status for p in (dropped, closing, busy, refused)}
    assert statuses == {
        dropped["email"]: "sent",
        closing["email"]: "sent",
        busy["email"]: "sent",
        refused["email"]: "failed_permanent",
    }
    assert rows[busy["account_id"]].attempts == 3
    copies = mailbox.to(dropped["email"])
    assert len(copies) == 2 and {m["Message-ID"] for m in copies} == {
        rows[dropped["account_id"]].message_id
    }
    assert len(mailbox.to(closing["email"])) == len(mailbox.to(busy["email"])) == 1
    assert not mailbox.to(refused["email"])
    others = {r.email for r in rows.values()} - {
        p["email"] for p in (dropped, closing, busy, refused)
    }
    assert all(len(mailbox.to(address)) == 1 for address in others)  # commune officers, if any
    for row in rows.values():
        sent = outbox_events(notification, "notification.sent", row.id)
        failed = outbox_events(notification, "notification.failed", row.id)
        assert (len(sent), len(failed)) == ((0, 1) if row.email == refused["email"] else (1, 0))
