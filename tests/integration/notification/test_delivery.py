"""Emails from real events to a real SMTP sink: who gets one, what it looks like, and what
redeliveries and SMTP faults do (docs/quality.md items 6, 8, 17)."""

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
    applicant = flows.register(call, language="en", display_name="Tam Le")
    deliver_accounts(registration, notification)
    producer = flows.create_producer(applicant)
    dossier = flows.submitted_dossier(applicant, producer["id"])

    assert deliver(registration, notification, dossier["id"]) == 1
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


def test_a_batch_is_sent_over_one_connection_and_its_outcomes_recorded_together(
    notification, sink, mailbox, monkeypatch
) -> None:
    """Several claims of two rows each in one run, one SMTP connection for all of them; every
    email arrives once and gets its ``notification.sent``."""
    from services.notification.adapters.smtp import Mailer

    monkeypatch.setenv("OCOP_MAIL_BATCH_SIZE", "2")
    applicant = add_contact(notification, roles=["applicant"])
    chair = add_contact(notification, roles=["council_chair"], language="en", name="Le, Van Tam")
    members = [add_contact(notification, roles=["council_member"]) for _ in range(3)]
    event = decided_event(
        applicant["account_id"],
        [m["account_id"] for m in members],
        chair["account_id"],
        product_name="Coffee blossom honey",
    )
    notification.inbox().consume(event.to_dict())
    connections = []

    class Counting(Mailer):
        def _connect(self) -> Any:
            connections.append(1)
            return super()._connect()

    send(notification, mailer=Counting)
    rows = deliveries_of(notification, event.event_id)
    # The unit's officials that other tests made contacts of are told too: count this test's own.
    own = {c["account_id"] for c in (applicant, chair, *members)}
    assert len([r for r in rows if str(r.account_id) in own]) == 5
    assert {r.status for r in rows} == {"sent"}
    assert len(connections) == 1
    for row in rows:
        assert len(mailbox.to(row.email)) == 1
        assert len(outbox_events(notification, "notification.sent", row.id)) == 1
    # An ASCII name that needs quoting, and an English subject, arrive as written.
    (chair_mail,) = mailbox.to(chair["email"])
    assert chair_mail["To"].addresses[0].display_name == "Le, Van Tam"
    assert chair_mail["Subject"] == (
        "[OCOP] District decision: Coffee blossom honey not recognised"
    )
    (raw,) = mailbox.raw_to(chair["email"])
    assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n"))


def test_an_outcome_is_not_recorded_once_another_sender_holds_the_row(
    notification, sink, mailbox
) -> None:
    """Outcomes are recorded per batch, but each only while its lease is still the sender's:
    a row another sender took over mid-batch is left to that sender."""
    from sqlalchemy import update

    from services.notification.adapters.smtp import Mailer
    from services.notification.models import Delivery

    applicant = add_contact(notification, roles=["applicant"])
    member = add_contact(notification, roles=["council_member"])
    event = decided_event(applicant["account_id"], [member["account_id"]], None)
    notification.inbox().consume(event.to_dict())

    class TakenOver(Mailer):
        def send(self, message: bytes, *, sender: str, to: str) -> None:
            super().send(message, sender=sender, to=to)
            if to == applicant["email"]:  # as if our lease had lapsed and another claimed it
                with notification.db.unit_of_work() as uow:
                    uow.session.execute(
                        update(Delivery)
                        .where(Delivery.email == to, Delivery.event_id == event.event_id)
                        .values(claimed_by="sender-other")
                    )
                    uow.commit()

    send(notification, mailer=TakenOver)
    (taken,) = mine(notification, event, applicant)
    assert taken.status == "queued" and taken.attempts == 0
    assert taken.claimed_by == "sender-other"
    assert not outbox_events(notification, "notification.sent", taken.id)
    (other,) = mine(notification, event, member)
    assert other.status == "sent" and other.claimed_by is None
    assert len(outbox_events(notification, "notification.sent", other.id)) == 1


def test_a_sender_hands_back_what_its_lease_no_longer_covers(
    notification, sink, mailbox, monkeypatch
) -> None:
    """When the lease is about to lapse mid-batch, the sender stops and frees the rest, so no
    other sender sends them at the same time; the next run sends them."""
    from services.notification.adapters.smtp import Mailer

    monkeypatch.setenv("OCOP_MAIL_LEASE_SECONDS", "60")  # the sink fixture's timeout is 5 s
    applicant = add_contact(notification, roles=["applicant"])
    members = [add_contact(notification, roles=["council_member"]) for _ in range(2)]
    event = decided_event(applicant["account_id"], [m["account_id"] for m in members], None)
    notification.inbox().consume(event.to_dict())
    ours = {r.email for r in deliveries_of(notification, event.event_id)}
    start = datetime.now(UTC)
    clock = [start]

    class Slow(Mailer):
        def send(self, message: bytes, *, sender: str, to: str) -> None:
            super().send(message, sender=sender, to=to)
            if to in ours:  # the first of ours took most of the lease
                clock[0] = start + timedelta(seconds=58)

    send(notification, mailer=Slow, now=lambda: clock[0])
    rows = deliveries_of(notification, event.event_id)
    assert sorted(r.status for r in rows).count("sent") == 1
    assert all(r.claimed_by is None for r in rows)
    assert all(r.attempts == 0 for r in rows if r.status == "queued")

    send(notification)
    rows = deliveries_of(notification, event.event_id)
    assert {r.status for r in rows} == {"sent"}
    assert all(len(mailbox.to(r.email)) == 1 for r in rows)


def _set_row(notification: Any, event: Any, contact: dict[str, Any], **values: Any) -> None:
    from sqlalchemy import update

    from services.notification.models import Delivery

    with notification.db.unit_of_work() as uow:
        uow.session.execute(
            update(Delivery)
            .where(Delivery.account_id == uuid.UUID(contact["account_id"]))
            .where(Delivery.event_id == event.event_id)
            .values(**values)
        )
        uow.commit()


def test_a_row_that_cannot_make_a_message_fails_at_once_and_the_batch_goes_on(
    notification, sink, mailbox, caplog
) -> None:
    applicant = add_contact(notification, roles=["applicant"])
    member = add_contact(notification, roles=["council_member"])
    event = decided_event(applicant["account_id"], [member["account_id"]], None)
    notification.inbox().consume(event.to_dict())
    # A newline would start a header of its own (here, a Bcc): nothing is sent.
    _set_row(notification, event, applicant, message_id="<x@ocop.test>\r\nBcc: x@evil.test")

    report = send(notification)
    assert report.failed >= 1
    (bad,) = mine(notification, event, applicant)
    assert bad.status == "failed_permanent" and "cannot build the message" in bad.last_error
    (failed,) = outbox_events(notification, "notification.failed", bad.id)
    assert failed["payload"]["permanent"] is True
    assert any(r.levelname == "ERROR" and str(bad.id) in r.getMessage() for r in caplog.records)
    assert not mailbox.to("x@evil.test") and not mailbox.to(applicant["email"])
    (good,) = mine(notification, event, member)
    assert good.status == "sent" and len(mailbox.to(member["email"])) == 1


def test_an_outcome_that_cannot_be_recorded_does_not_take_the_batch_with_it(
    notification, sink, mailbox, caplog
) -> None:
    """Outcomes are recorded together; if that fails (here the failure event of a row with an
    address no event accepts), each is recorded alone, so the others are not sent again."""
    applicant = add_contact(notification, roles=["applicant"])
    member = add_contact(notification, roles=["council_member"])
    event = decided_event(applicant["account_id"], [member["account_id"]], None)
    notification.inbox().consume(event.to_dict())
    _set_row(notification, event, applicant, email="two words@example.vn")

    send(notification)
    (good,) = mine(notification, event, member)
    assert good.status == "sent" and len(mailbox.to(member["email"])) == 1
    assert len(outbox_events(notification, "notification.sent", good.id)) == 1
    (bad,) = mine(notification, event, applicant)
    assert bad.status == "queued" and bad.claimed_by is not None  # tried again after the lease
    assert any("could not record" in r.getMessage() for r in caplog.records)
