"""The certificate an upgrade or a re-evaluation names: registration keeps a read
model of evaluation's ``certificate.*`` events and checks the named certificate when a dossier
is created, edited and submitted: the producer's own, not revoked or superseded, below 5★ for an
upgrade, and for a re-evaluation filed in its window (180 to 120 days before expiry) or late
(until 180 days after expiry, marked ``late_filing``)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from services.registration.models import Certificate, Dossier
from shared.events import Actor, new_event
from tests.support import flows
from tests.support.councils import registration_events

SYSTEM = Actor(None, "system")


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()


@pytest.fixture(scope="module")
def owner(call) -> flows.Actor:
    """The applicant of every dossier here, signed in from an address of its own: the
    per-address login limit is shared with the suite's other sign-ins."""
    return flows.register(call, own_address=True)


@pytest.fixture(scope="module")
def producer_id(owner) -> str:
    return flows.create_producer(owner)["id"]


def accepted(owner: flows.Actor, producer_id: str, commune_officer: flows.Actor) -> dict:
    """A first dossier of ``producer_id``, submitted and accepted (a product to certify)."""
    dossier = flows.create_dossier(owner, producer_id)
    submitted = flows.act(owner, dossier, "submit").body
    reply = flows.act(commune_officer, submitted, "accept")
    assert reply.status == 200, reply.body
    return reply.body


def certificate_event(
    type_: str,
    dossier: dict[str, Any],
    owner: flows.Actor,
    number: str,
    *,
    star_rank: int = 3,
    expires_on: date,
    **extra: Any,
) -> dict[str, Any]:
    """A ``certificate.*`` envelope as the evaluation service writes it."""
    payload = {
        "dossier_id": dossier["id"],
        "product_name": dossier["product_name"],
        "product_code": dossier["product_code"],
        "product_set_code": dossier["product_set_code"],
        "producer_name": dossier["form01"]["unit_name"],
        "owner_account_id": owner.account["id"],
        "consultant_account_ids": [],
        "regime": dossier["regime"],
        "unit_tree": dossier["unit_tree"],
        "province_code": dossier["province_code"],
        "district_code": dossier["district_code"],
        "commune_code": dossier["commune_code"],
        "level": "district",
        "number": number,
        "star_rank": star_rank,
        "authority_unit": "pre2025:district:461",
        "decision_number": "77/QĐ-UBND",
        "issued_on": (expires_on - timedelta(days=1096)).isoformat(),
        "expires_on": expires_on.isoformat(),
        **extra,
    }
    event = new_event(
        type_, payload, producer="evaluation", actor=SYSTEM, dossier_id=uuid.UUID(dossier["id"])
    )
    return event.to_dict()


def new_number() -> str:
    return f"OCOP-45.461-2026-T{uuid.uuid4().hex[:8]}"


@pytest.fixture()
def certify(registration, owner, producer_id, commune_officer):
    """Issue (through registration's inbox) a certificate of a new accepted dossier of the
    module's producer; returns its number."""

    def make(
        *, star_rank: int = 3, expires_on: date | None = None, who: Any = None, prod: Any = None
    ) -> str:
        holder, holder_producer = who or owner, prod or producer_id
        dossier = accepted(holder, holder_producer, commune_officer)
        number = new_number()
        envelope = certificate_event(
            "certificate.issued",
            dossier,
            holder,
            number,
            star_rank=star_rank,
            expires_on=expires_on or today() + timedelta(days=900),
        )
        assert registration.inbox().consume(envelope) == "handled"
        return number

    return make


def record(registration: Any, number: str) -> Certificate | None:
    with registration.db.reader() as session:
        return session.get(Certificate, number)


def state(registration: Any, producer_id: str) -> tuple[int, int]:
    """What a refused request must leave alone: the producer's dossiers and the outbox."""
    with registration.db.reader() as session:
        dossiers = session.execute(
            select(func.count()).where(Dossier.producer_id == uuid.UUID(producer_id))
        ).scalar_one()
        outbox = session.execute(select(func.count()).select_from(registration.outbox)).scalar_one()
    return dossiers, outbox


def file(owner: flows.Actor, producer_id: str, registration_type: str, number: Any) -> flows.Reply:
    body = flows.dossier_body(producer_id) | {
        "registration_type": registration_type,
        "certificate_number": number,
    }
    return owner("POST", "/api/v1/dossiers", json=body)


def refused(reply: flows.Reply, code: str, **params: Any) -> str:
    """The 422 on ``certificate_number`` with ``code`` (and ``params`` among its values);
    returns its message."""
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == "urn:ocop:problem:validation-error"
    assert reply.body["field_codes"] == {"certificate_number": code}, reply.body
    given = reply.body.get("field_params", {}).get("certificate_number", {})
    assert params.items() <= given.items(), given
    [message] = reply.body["errors"]["certificate_number"]
    return message


# --- the read model ---------------------------------------------------------------------------


def test_the_read_model_follows_certificate_events(
    registration, owner, producer_id, commune_officer
) -> None:
    inbox = registration.inbox()
    dossier = accepted(owner, producer_id, commune_officer)
    first, second = new_number(), new_number()
    expires = date(2029, 11, 30)

    def feed(type_: str, number: str, **extra: Any) -> None:
        envelope = certificate_event(type_, dossier, owner, number, expires_on=expires, **extra)
        assert inbox.consume(envelope) == "handled"

    feed("certificate.issued", first, star_rank=4)
    row = record(registration, first)
    assert row is not None
    assert (row.producer_id, row.dossier_id) == (uuid.UUID(producer_id), uuid.UUID(dossier["id"]))
    assert (row.star_rank, row.status, row.expires_on) == (4, "valid", expires)
    assert row.issued_on == expires - timedelta(days=1096)

    # A re-evaluation's certificate supersedes it; a late "expired" does not undo that.
    feed("certificate.issued", second, star_rank=4, replaces=first)
    assert record(registration, first).status == "superseded"
    assert record(registration, second).status == "valid"
    feed("certificate.expired", first)
    assert record(registration, first).status == "superseded"

    feed("certificate.revoked", second, ground="mark_misuse", revoked_on="2027-01-05")
    assert record(registration, second).status == "revoked"
    # An "issued" redelivered out of order (a new event id) never brings it back.
    feed("certificate.issued", second, star_rank=4)
    assert record(registration, second).status == "revoked"

    # A certificate of a dossier registration does not know is not recorded.
    stranger = dossier | {"id": str(uuid.uuid4())}
    envelope = certificate_event(
        "certificate.issued", stranger, owner, new_number(), expires_on=expires
    )
    assert inbox.consume(envelope) == "handled"
    with registration.db.reader() as session:
        assert session.get(Certificate, envelope["payload"]["number"]) is None


# --- which dossiers name a certificate ------------------------------------------------------


def test_first_registrations_name_none_the_others_one(registration, owner, producer_id, certify):
    number = certify()
    before = state(registration, producer_id)
    refused(file(owner, producer_id, "first", number), "certificate.not_for_first_registration")
    refused(file(owner, producer_id, "upgrade", None), "certificate.required")
    body = flows.dossier_body(producer_id) | {"registration_type": "re_evaluation"}
    refused(owner("POST", "/api/v1/dossiers", json=body), "certificate.required")
    too_long = file(owner, producer_id, "upgrade", "x" * 41)
    assert too_long.status == 422 and "certificate_number" in too_long.body["errors"]
    assert state(registration, producer_id) == before

    plain = owner("POST", "/api/v1/dossiers", json=flows.dossier_body(producer_id))
    assert plain.status == 201 and plain.body["certificate_number"] is None


def test_an_upgrade_names_a_current_certificate_below_5_stars(
    registration, call, owner, producer_id, certify, commune_officer
) -> None:
    other = flows.register(call, own_address=True)
    other_producer = flows.create_producer(other)["id"]
    theirs = certify(who=other, prod=other_producer)
    mine_too = flows.create_producer(owner)["id"]  # the same owner's other producer
    of_my_other_producer = certify(prod=mine_too)
    five = certify(star_rank=5)
    expired = certify(expires_on=today() - timedelta(days=1))
    revoked = certify()
    dossier = accepted(owner, producer_id, commune_officer)
    assert (
        registration.inbox().consume(
            certificate_event(
                "certificate.revoked",
                dossier,
                owner,
                revoked,
                expires_on=today() + timedelta(days=900),
                ground="production_stopped",
                revoked_on=today().isoformat(),
            )
        )
        == "handled"
    )
    before = state(registration, producer_id)

    refused(file(owner, producer_id, "upgrade", "OCOP-45-2026-99999"), "certificate.not_held")
    refused(file(owner, producer_id, "upgrade", theirs), "certificate.not_held")
    refused(file(owner, producer_id, "upgrade", of_my_other_producer), "certificate.not_held")
    refused(file(owner, producer_id, "upgrade", five), "certificate.highest_rank", rank=5)
    refused(file(owner, producer_id, "upgrade", expired), "certificate.expired")
    refused(
        file(owner, producer_id, "upgrade", revoked),
        "certificate.not_current",
        certificate_status="revoked",
    )
    assert state(registration, producer_id) == before

    number = certify(star_rank=4)
    reply = file(owner, producer_id, "upgrade", number)
    assert reply.status == 201, reply.body
    assert reply.body["certificate_number"] == number
    assert reply.body["filed_on"] is None and reply.body["late_filing"] is None
    submitted = flows.act(owner, reply.body, "submit")
    assert submitted.status == 200, submitted.body
    assert submitted.body["filed_on"] == today().isoformat()
    assert submitted.body["late_filing"] is None
    [event] = registration_events(registration, reply.body["id"])
    assert event["type"] == "dossier.submitted"
    assert event["payload"]["certificate_number"] == number
    assert event["payload"]["registration_type"] == "upgrade"
    assert event["payload"]["filed_on"] == today().isoformat()


def test_a_certificate_revoked_after_the_draft_stops_the_submission(
    registration, owner, producer_id, certify, commune_officer
) -> None:
    number = certify()
    draft = file(owner, producer_id, "upgrade", number).body
    dossier = accepted(owner, producer_id, commune_officer)
    revoked = certificate_event(
        "certificate.revoked",
        dossier,
        owner,
        number,
        expires_on=today() + timedelta(days=900),
        ground="mark_misuse",
        revoked_on=today().isoformat(),
    )
    assert registration.inbox().consume(revoked) == "handled"
    before = state(registration, producer_id)
    refused(
        flows.act(owner, draft, "submit"), "certificate.not_current", certificate_status="revoked"
    )
    assert state(registration, producer_id) == before
    again = owner("GET", f"/api/v1/dossiers/{draft['id']}").body
    assert (again["status"], again["version"], again["filed_on"]) == (
        "draft",
        draft["version"],
        None,
    )


@pytest.mark.parametrize(
    ("expires_in", "late"),
    [
        (150, False),  # inside the window (180 to 120 days before expiry)
        (180, False),  # the window's first day
        (120, False),  # its last day
        (119, True),  # after the window, before expiry
        (0, True),  # on the day of expiry
        (-30, True),  # after expiry
        (-180, True),  # the last day a late filing is taken
    ],
)
def test_a_reevaluation_is_filed_in_its_window_or_late(
    registration, owner, producer_id, certify, expires_in, late
) -> None:
    number = certify(expires_on=today() + timedelta(days=expires_in))
    draft = file(owner, producer_id, "re_evaluation", number)
    assert draft.status == 201, draft.body
    submitted = flows.act(owner, draft.body, "submit")
    assert submitted.status == 200, submitted.body
    assert submitted.body["late_filing"] is late
    assert submitted.body["filed_on"] == today().isoformat()
    [event] = registration_events(registration, draft.body["id"])
    assert event["payload"]["late_filing"] is late
    assert event["payload"]["certificate_number"] == number


def test_a_reevaluation_before_its_window_is_refused_with_the_window(
    registration, owner, producer_id, certify
) -> None:
    expires = today() + timedelta(days=181)
    number = certify(expires_on=expires)
    # A draft may be prepared early; it is the filing that must wait for the window.
    draft = file(owner, producer_id, "re_evaluation", number)
    assert draft.status == 201, draft.body
    before = state(registration, producer_id)
    opens, closes = expires - timedelta(days=180), expires - timedelta(days=120)
    refused(
        flows.act(owner, draft.body, "submit"),
        "certificate.reevaluation_not_open",
        opens_on=opens.isoformat(),
        closes_on=closes.isoformat(),
    )
    assert state(registration, producer_id) == before
    again = owner("GET", f"/api/v1/dossiers/{draft.body['id']}").body
    assert (again["status"], again["version"]) == ("draft", draft.body["version"])
    assert (again["filed_on"], again["late_filing"]) == (None, None)


def test_a_reevaluation_more_than_180_days_after_expiry_is_refused(
    registration, owner, producer_id, certify
) -> None:
    expires = today() - timedelta(days=181)
    number = certify(expires_on=expires)
    before = state(registration, producer_id)
    last = (expires + timedelta(days=180)).isoformat()
    refused(
        file(owner, producer_id, "re_evaluation", number),
        "certificate.reevaluation_too_late",
        last_day=last,
    )
    assert state(registration, producer_id) == before


def test_editing_the_type_or_the_certificate_is_checked(
    registration, owner, producer_id, certify
) -> None:
    number, five = certify(), certify(star_rank=5)
    draft = owner("POST", "/api/v1/dossiers", json=flows.dossier_body(producer_id)).body
    path = f"/api/v1/dossiers/{draft['id']}"

    def patch(**changes: Any) -> flows.Reply:
        current = owner("GET", path).body
        return owner("PATCH", path, json={"version": current["version"], **changes})

    before = state(registration, producer_id), owner("GET", path).body
    refused(patch(registration_type="upgrade"), "certificate.required")
    refused(
        patch(registration_type="upgrade", certificate_number=five),
        "certificate.highest_rank",
        rank=5,
    )
    refused(patch(certificate_number=number), "certificate.not_for_first_registration")
    assert (state(registration, producer_id), owner("GET", path).body) == before

    upgraded = patch(registration_type="upgrade", certificate_number=number)
    assert upgraded.status == 200, upgraded.body
    assert upgraded.body["certificate_number"] == number
    refused(patch(registration_type="first"), "certificate.not_for_first_registration")
    back = patch(registration_type="first", certificate_number=None)
    assert back.status == 200, back.body
    assert (back.body["registration_type"], back.body["certificate_number"]) == ("first", None)
