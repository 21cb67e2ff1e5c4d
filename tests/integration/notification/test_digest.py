"""The daily digest: routine messages to an official who opted in wait and go out in one email
a day; decisions go at once; each carried message still gets its own delivery event; opting
out sends what was still held, at once and once each."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from services.notification.adapters import mail_settings
from services.notification.adapters.templating import default_catalogue
from services.notification.domain.messages import message_id
from services.notification.models import Delivery, Preference
from services.notification.service import digests
from services.notification.service import preferences as preference_service
from services.notification.tasks import SEND_PENDING
from shared.auth import Principal
from shared.events import new_event
from shared.events.envelope import Actor
from tests.integration.notification.conftest import (
    PORTAL,
    add_contact,
    deliveries_of,
    outbox_events,
    send,
)
from tests.integration.notification.test_delivery import decided_event
from tests.integration.notification.test_sender_queue import task_names
from tests.support import flows
from tests.support.cases import deliver_accounts

PREFERENCES = "/api/v1/preferences/me"


def opt_in(notification: Any, contact: dict[str, Any]) -> None:
    account_id = uuid.UUID(contact["account_id"])
    with notification.db.unit_of_work() as uow:
        uow.session.add(
            Preference(account_id=account_id, digest=True, updated_at=datetime.now(UTC))
        )
        uow.commit()


def opened(members: list[str], product: str) -> Any:
    """An evaluation opened for a council (a routine message to its members)."""
    payload = {**decided_event(str(uuid.uuid4()), members, None).payload, "product_name": product}
    for key in ("outcome", "reason", "result", "star_rank", "decision_number", "commune_report"):
        payload.pop(key)
    return new_event(
        "evaluation.opened",
        payload,
        producer="evaluation",
        actor=Actor(user_id=None, role="secretariat"),
        dossier_id=payload["dossier_id"],
    )


def collect(notification: Any) -> int:
    return digests.collect(
        db=notification.db, catalogue=default_catalogue(), mail=mail_settings.load()
    )


def test_routine_messages_wait_for_the_digest_and_decisions_do_not(notification, mailbox) -> None:
    keen = add_contact(notification, roles=["council_member"], language="en", name="Keen")
    other = add_contact(notification, roles=["council_member"])
    opt_in(notification, keen)
    members = [keen["account_id"], other["account_id"]]
    first, second = opened(members, "Trà sen Tây Hồ"), opened(members, "Mắm tôm Hậu Lộc")
    decision = decided_event(str(uuid.uuid4()), members, None)
    for event in (first, second, decision):
        assert notification.inbox().consume(event.to_dict()) == "handled"
    send(notification)

    assert len(mailbox.to(other["email"])) == 3  # no digest chosen: each at once
    (at_once,) = mailbox.to(keen["email"])  # the decision only
    assert "not recognised" in at_once["Subject"]
    held = [r for e in (first, second) for r in deliveries_of(notification, e.event_id)]
    assert {r.status for r in held if r.email == keen["email"]} == {"held"}

    assert collect(notification) == 1
    assert collect(notification) == 0  # everything held was gathered
    send(notification)
    digest_mail = mailbox.to(keen["email"])[-1]
    assert digest_mail["Subject"] == "[OCOP] Daily digest: 2 message(s)"
    assert digest_mail.get_content_type() == "multipart/alternative"
    text = digest_mail.get_body(("plain",)).get_content()
    assert "Dear Keen" in text and "Trà sen Tây Hồ" in text and "Mắm tôm Hậu Lộc" in text
    for event in (first, second):
        link = f"{PORTAL}/dossiers/{event.dossier_id}"
        assert link in text
        assert f'href="{link}"' in digest_mail.get_body(("html",)).get_content()
    assert len(mailbox.to(keen["email"])) == 2  # the decision, then one digest

    # Each carried message is sent with the digest, and the case file hears of it.
    def keens(event: Any) -> Delivery:
        (row,) = [
            r for r in deliveries_of(notification, event.event_id) if r.email == keen["email"]
        ]
        return row

    with notification.db.reader() as session:
        digest = session.get(Delivery, keens(first).digest_id)
    assert digest is not None and digest.status == "sent"
    assert digest_mail["Message-ID"] == message_id(digest.event_id, digest.account_id, "ocop.test")
    for event in (first, second):
        (row,) = [
            r for r in deliveries_of(notification, event.event_id) if r.email == keen["email"]
        ]
        assert row.status == "sent" and row.digest_id == digest.id and row.sent_at is not None
        (sent,) = outbox_events(notification, "notification.sent", row.id)
        assert sent["payload"]["digest_id"] == str(digest.id)
        assert sent["dossier_id"] == str(event.dossier_id)
    assert not outbox_events(notification, "notification.sent", digest.id)


def test_a_digest_that_finally_fails_fails_every_message_it_carried(
    notification, sink, mailbox
) -> None:
    from services.notification.sink import MAILBOX_UNAVAILABLE, FaultPlan

    keen = add_contact(notification, roles=["council_member"])
    opt_in(notification, keen)
    event = opened([keen["account_id"]], "Bưởi Diễn")
    notification.inbox().consume(event.to_dict())
    sink.faults = FaultPlan().reply(keen["email"], MAILBOX_UNAVAILABLE)
    assert collect(notification) == 1
    assert send(notification).failed == 1

    (row,) = deliveries_of(notification, event.event_id)
    assert row.status == "failed_permanent" and "550" in row.last_error
    (failed,) = outbox_events(notification, "notification.failed", row.id)
    assert failed["payload"]["permanent"] is True and failed["payload"]["digest_id"]
    assert not mailbox.to(keen["email"])


def _rows_to(notification: Any, account_id: str) -> list[Delivery]:
    with notification.db.reader() as session:
        query = select(Delivery).where(Delivery.account_id == uuid.UUID(account_id))
        return list(session.execute(query.order_by(Delivery.id)).scalars())


def test_opting_out_sends_what_was_held_at_once_each_once(
    call, admin, registration, notification, note_call, mailbox
) -> None:
    official = flows.create_official(admin, ["council_member"], "pre2025:province:45")
    deliver_accounts(registration, notification)
    me, address = official.account["id"], official.account["email"]
    chose = note_call("PUT", PREFERENCES, token=official.token, json={"digest": True})
    assert chose.status == 200 and chose.body["digest"] is True
    held = [opened([me], product) for product in ("Trà sen Tây Hồ", "Mắm tôm Hậu Lộc")]
    for event in held:
        assert notification.inbox().consume(event.to_dict()) == "handled"
    send(notification)
    assert not mailbox.to(address)
    assert {r.status for r in _rows_to(notification, me)} == {"held"}

    left = note_call("PUT", PREFERENCES, token=official.token, json={"digest": False})
    assert left.status == 200 and left.body["digest"] is False
    assert {r.status for r in _rows_to(notification, me)} == {"queued"}  # due now, not at 07:00
    send(notification)

    # Each as the ordinary message it would have been: its own email under its own Message-ID,
    # its own notification.sent; no digest made for it.
    received = mailbox.to(address)
    rows = _rows_to(notification, me)
    assert sorted(m["Subject"] for m in received) == sorted(r.subject for r in rows)
    assert sorted(m["Message-ID"] for m in received) == sorted(
        message_id(e.event_id, uuid.UUID(me), "ocop.test") for e in held
    )
    for row in rows:
        assert row.status == "sent" and row.digest_id is None and row.sent_at is not None
        (sent,) = outbox_events(notification, "notification.sent", row.id)
        assert sent["payload"].get("digest_id") is None
    assert all(r.event_type != "digest" for r in rows)

    # Nothing is left for a digest, and neither a collection nor a second opt-out sends more.
    collect(notification)
    assert not note_call("PUT", PREFERENCES, token=official.token, json={"digest": False}).body[
        "digest"
    ]
    send(notification)
    assert len(mailbox.to(address)) == 2
    assert {r.status for r in _rows_to(notification, me)} == {"sent"}


def test_opting_out_leaves_a_gathered_digest_alone(notification, mailbox) -> None:
    """Messages already in a digest go with it; opting out afterwards does not send them twice."""
    keen = add_contact(notification, roles=["council_member"])
    opt_in(notification, keen)
    event = opened([keen["account_id"]], "Bưởi Phúc Trạch")
    notification.inbox().consume(event.to_dict())
    assert collect(notification) >= 1
    principal = Principal(account_id=keen["account_id"], roles=frozenset({"council_member"}))
    with notification.db.unit_of_work() as uow:
        preference_service.update(uow=uow, principal=principal, language=None, digest=False)
        uow.commit()
    send(notification)
    (digest_mail,) = mailbox.to(keen["email"])
    assert digest_mail["Subject"].startswith("[OCOP] Tin tổng hợp trong ngày: 1 ")
    (row,) = deliveries_of(notification, event.event_id)
    assert row.status == "sent" and row.digest_id is not None


def test_opting_out_wakes_the_sender(env, notification) -> None:
    """The released messages do not wait for the minute beat: the commit wakes the sender."""
    from services.notification.runtime import Notification

    keen = add_contact(notification, roles=["council_member"])
    opt_in(notification, keen)
    notification.inbox().consume(opened([keen["account_id"]], "Nước mắm Cửa Việt").to_dict())
    waking = Notification(wake_sender=True)  # as the web process runs
    try:
        task_names(env.broker_url, "notification.mail", wait=0)  # start from an empty queue
        principal = Principal(account_id=keen["account_id"], roles=frozenset({"council_member"}))
        with waking.db.unit_of_work() as uow:
            preference_service.update(uow=uow, principal=principal, language=None, digest=False)
            uow.commit()
        assert task_names(env.broker_url, "notification.mail", wait=10) == [SEND_PENDING]
    finally:
        waking.close()
    (row,) = [r for r in _rows_to(notification, keen["account_id"])]
    assert row.status == "queued"
