"""The contacts read-model from real events: consultant grants decide whether a producer's
consultant hears of its cases; council seats decide who a breached deadline escalates to."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from services.notification.models import CouncilSeat
from shared.events import new_event
from shared.events.envelope import SYSTEM, Actor
from shared.events.schemas_evaluation import DeadlineEvent
from tests.integration.notification.conftest import add_contact, send
from tests.integration.notification.test_delivery import decided_event
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts


def feed(registration: Any, notification: Any, type_: str) -> int:
    """Hand every ``type_`` event registration wrote so far to notification's inbox."""
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).where(o.type == type_).order_by(o.id)).all()
    inbox = notification.inbox()
    return sum(inbox.consume(envelope) == "handled" for (envelope,) in rows)


def grant(applicant: flows.Actor, producer: dict, consultant: flows.Actor, granted: bool) -> None:
    path = f"/api/v1/producers/{producer['id']}/consultants"
    body = {"email": consultant.account["email"], "granted": granted}
    assert applicant("POST", path, json=body).status == 200


def test_the_consultant_is_told_while_the_grant_holds(
    call, registration, notification, mailbox
) -> None:
    applicant = flows.register(call, "applicant")
    consultant = flows.register(call, "consultant")
    deliver_accounts(registration, notification)
    producer = flows.create_producer(applicant)
    grant(applicant, producer, consultant, True)
    dossier = flows.submitted_dossier(applicant, producer["id"])
    assert feed(registration, notification, "consultant.access_changed") == 1
    deliver(registration, notification, dossier["id"])  # dossier.submitted: whose case it is
    send(notification)
    address = consultant.account["email"]
    assert len(mailbox.to(address)) == 1  # the submission, listed in the event itself

    def decision(listed: list[str]) -> None:
        # Evaluation's events carry the consultants copied at acceptance, maybe stale.
        event = decided_event(
            applicant.account["id"],
            [],
            None,
            dossier_id=dossier["id"],
            consultant_account_ids=listed,
        )
        assert notification.inbox().consume(event.to_dict()) == "handled"
        send(notification)

    grant(applicant, producer, consultant, False)
    feed(registration, notification, "consultant.access_changed")
    decision(listed=[consultant.account["id"]])
    assert len(mailbox.to(address)) == 1  # withdrawn: not told, though the event lists them

    grant(applicant, producer, consultant, True)
    feed(registration, notification, "consultant.access_changed")
    decision([])
    mails = mailbox.to(address)
    assert len(mails) == 2  # granted again: told, though the event does not list them
    assert "không được công nhận" in mails[-1]["Subject"]


def seat(notification: Any, council_id: uuid.UUID, person: dict[str, Any], role: str) -> None:
    payload = {
        "council_id": council_id,
        "council_name": "Hội đồng cấp huyện",
        "level": "district",
        "unit": "pre2025:district:461",
        "account_id": person["account_id"],
        "role": role,
    }
    event = new_event("council.member_added", payload, producer="evaluation", actor=SYSTEM)
    assert notification.inbox().consume(event.to_dict()) == "handled"


def breached(district: str, council_id: uuid.UUID | None) -> dict[str, Any]:
    payload = {
        "dossier_id": uuid.uuid4(),
        "product_name": "Trà mãng cầu",
        "product_code": "45-19333-002-2026",
        "product_set_code": "04",
        "producer_name": "HTX Đông Hà",
        "owner_account_id": uuid.uuid4(),
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": district,
        "commune_code": "19333",
        "level": "district",
        "deadline": "round_close",
        "due_on": "2026-11-20",
    }
    event = new_event(
        "deadline.breached",
        payload,
        producer="evaluation",
        actor=Actor(user_id=None, role="system"),
        dossier_id=payload["dossier_id"],
    )
    envelope = event.to_dict()
    # The optional field the evaluation service adds; consumers drop it until it is declared.
    envelope["payload"]["council_id"] = str(council_id) if council_id else None
    return envelope


def test_a_breached_deadline_escalates_to_the_council_or_else_the_secretariat(
    notification, mailbox
) -> None:
    district = f"9{uuid.uuid4().int % 10**4:04d}"  # a district of its own: no other officials
    secretariat = add_contact(
        notification, roles=["secretariat"], unit=f"pre2025:district:{district}"
    )
    chair = add_contact(notification, roles=["council_chair"], language="en", name="Chair")
    secretary = add_contact(notification, roles=["council_secretary"])
    member = add_contact(notification, roles=["council_member"])
    council_id = uuid.uuid4()
    for person, role in ((chair, "chair"), (secretary, "secretary"), (member, "member")):
        seat(notification, council_id, person, role)
    with notification.db.reader() as session:
        seat_row = session.get(CouncilSeat, (council_id, uuid.UUID(chair["account_id"])))
        assert seat_row is not None and seat_row.role == "chair"
    send(notification)  # each new member is told of the seat; not what this test reads
    seated = len(mailbox.messages())

    def told_of_breach(council: uuid.UUID | None) -> dict[str, str]:
        before = len(mailbox.messages())
        assert notification.inbox().consume(breached(district, council)) == "handled"
        send(notification)
        return {to: m["Subject"] for tos, m, _raw in mailbox.messages()[before:] for to in tos}

    # Until evaluation declares ``council_id``, consumers drop it: the fallback applies.
    declared = "council_id" in DeadlineEvent().fields
    to_council = told_of_breach(council_id)
    if declared:
        assert to_council == {
            chair["email"]: "[OCOP] Overdue since 20 Nov 2026: Trà mãng cầu",
            secretary["email"]: "[OCOP] Quá hạn (20/11/2026): Trà mãng cầu",
        }
    else:
        assert set(to_council) == {secretariat["email"]}
    assert set(told_of_breach(None)) == {secretariat["email"]}
    assert seated == 3


def test_account_changes_reach_the_contacts_and_a_deactivated_one_hears_nothing(
    call, admin, registration, notification
) -> None:
    from services.notification.models import Contact
    from services.notification.service.contacts import SqlContacts

    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    account_id = uuid.UUID(officer.account["id"])
    assert officer("PATCH", "/api/v1/accounts/me", json={"language": "en"}).status == 200
    deliver_accounts(registration, notification)
    with notification.db.reader() as session:
        assert SqlContacts(session).get(account_id).language == "en"
        assert account_id in {
            c.account_id
            for c in SqlContacts(session).with_role_in_unit("commune_officer", flows.COMMUNE)
        }
    reply = admin("PATCH", f"/api/v1/accounts/{account_id}", json={"active": False})
    assert reply.status == 200, reply.body
    deliver_accounts(registration, notification)
    with notification.db.reader() as session:
        contacts = SqlContacts(session)
        assert contacts.get(account_id) is None
        assert account_id not in {
            c.account_id for c in contacts.with_role_in_unit("commune_officer", flows.COMMUNE)
        }
        assert session.get(Contact, account_id).active is False
