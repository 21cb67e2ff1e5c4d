"""The public status of a dossier, kept by the registration service from evaluation's events
(for example "at province council", "recognised 4★ until 2029-11-30"), without touching the
dossier's version, which is the applicant's optimistic lock."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.registration.service.public_status import SUPERSEDED, TEMPLATES, describe
from shared.events import Actor, Event, new_event
from tests.support import flows

SYSTEM = Actor(None, "system")


def case_facts(dossier: dict[str, Any], owner: flows.Actor, level: str) -> dict[str, Any]:
    """What every evaluation event says of the case (shared.events.schemas_evaluation)."""
    return {
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
        "level": level,
    }


def certificate_facts(star_rank: int = 4, expires_on: str = "2029-11-30") -> dict[str, Any]:
    return {
        "number": "OCOP-45-2026-00001",
        "star_rank": star_rank,
        "authority_unit": "pre2025:province:45",
        "decision_number": "1234/QĐ-UBND",
        "issued_on": "2026-11-30",
        "expires_on": expires_on,
    }


def evaluation_event(
    dossier: dict[str, Any], owner: flows.Actor, type_: str, level: str, **p: Any
) -> Event:
    council = {"evaluation_id": None, "council_id": None}
    extra = {} if type_.startswith("certificate.") else council
    return new_event(
        type_,
        case_facts(dossier, owner, level) | extra | p,
        producer="evaluation",
        actor=SYSTEM,
        dossier_id=uuid.UUID(dossier["id"]),
    )


@pytest.fixture(scope="module")
def owner(call) -> flows.Actor:
    """The applicant of every dossier here, signed in from an address of its own: the
    per-address login limit is shared with the suite's other sign-ins."""
    return flows.register(call, own_address=True)


@pytest.fixture(scope="module")
def producer_id(owner) -> str:
    return flows.create_producer(owner)["id"]


@pytest.fixture()
def case(owner, producer_id, commune_officer) -> tuple[flows.Actor, dict[str, Any]]:
    """A dossier filed by ``owner`` and accepted by the commune."""
    return owner, flows.accepted_dossier(owner, commune_officer, producer_id)


def seen(owner: flows.Actor, dossier_id: str) -> dict[str, Any]:
    reply = owner("GET", f"/api/v1/dossiers/{dossier_id}")
    assert reply.status == 200, reply.body
    return reply.body


def test_evaluation_events_set_the_public_status(registration, case) -> None:
    owner, dossier = case
    before = seen(owner, dossier["id"])
    assert before["public_status"] is None
    inbox = registration.inbox()
    council_id, evaluation_id = str(uuid.uuid4()), str(uuid.uuid4())

    def feed(event: Event, expected: str) -> None:
        assert inbox.consume(event.to_dict()) == "handled"
        now = seen(owner, dossier["id"])
        assert now["public_status"] == expected, event.type
        # The status line is not the applicant's data: version and updated_at stay as read.
        assert (now["version"], now["updated_at"]) == (before["version"], before["updated_at"])
        assert now["status"] == before["status"]

    def ev(type_: str, level: str, **payload: Any) -> Event:
        return evaluation_event(dossier, owner, type_, level, **payload)

    feed(ev("evaluation.opened", "commune"), "commune review")
    feed(
        ev("evaluation.forwarded", "commune", to_level="district"),
        "at district level, awaiting a council",
    )
    opened = {"council_id": council_id, "evaluation_id": evaluation_id}
    feed(ev("evaluation.opened", "district", **opened), "at district council")
    feed(
        ev("evaluation.forwarded", "district", to_level="province", star_rank=4, **opened),
        "at province level, awaiting a council",
    )
    feed(ev("evaluation.opened", "province", **opened), "at province council")
    feed(
        ev("certificate.issued", "province", **certificate_facts()),
        "recognised 4★ until 2029-11-30",
    )
    # The same line in parts, for a client to say in its own language.
    now = seen(owner, dossier["id"])
    assert now["public_status_key"] == "certificate.issued"
    assert now["public_status_params"] == {"star_rank": 4, "expires_on": "2029-11-30"}
    # The recognition's own event arriving after the certificate's leaves its line in place.
    decided = ev("evaluation.decided", "province", outcome="recognised", star_rank=4, **opened)
    feed(decided, "recognised 4★ until 2029-11-30")
    revoked = ev(
        "certificate.revoked",
        "province",
        ground="mark_misuse",
        revoked_on="2027-03-01",
        **certificate_facts(),
    )
    feed(revoked, "certificate revoked")

    # A redelivered event is a duplicate: nothing happens twice.
    assert inbox.consume(revoked.to_dict()) == "duplicate"
    feed(
        ev("certificate.expired", "province", **certificate_facts(expires_on="2029-11-30")),
        "certificate expired on 2029-11-30",
    )


def test_the_applicants_version_still_works_after_a_status_change(
    registration, owner, producer_id
) -> None:
    # An editable dossier: a status line written meanwhile must not make the edit answer 409.
    applicant = owner
    dossier = flows.create_dossier(applicant, producer_id)
    event = evaluation_event(
        dossier | {"product_code": "45-19333-001-2026"}, applicant, "evaluation.opened", "commune"
    )
    assert registration.inbox().consume(event.to_dict()) == "handled"
    edit = applicant(
        "PATCH",
        f"/api/v1/dossiers/{dossier['id']}",
        json={"version": dossier["version"], "product_name": "Mật ong rừng"},
    )
    assert edit.status == 200, edit.body
    assert edit.body["public_status"] == "commune review"
    assert edit.body["version"] == dossier["version"] + 1


def test_events_of_other_kinds_leave_the_status_alone(registration, case) -> None:
    owner, dossier = case
    inbox = registration.inbox()
    inbox.consume(evaluation_event(dossier, owner, "evaluation.opened", "commune").to_dict())
    conflict = new_event(
        "evaluation.conflict_declared",
        case_facts(dossier, owner, "district")
        | {
            "evaluation_id": str(uuid.uuid4()),
            "council_id": str(uuid.uuid4()),
            "account_id": str(uuid.uuid4()),
            "conflicted": True,
        },
        producer="evaluation",
        actor=SYSTEM,
        dossier_id=uuid.UUID(dossier["id"]),
    )
    # Recorded in the case file, and the status line is left alone.
    assert inbox.consume(conflict.to_dict()) == "handled"
    assert seen(owner, dossier["id"])["public_status"] == "commune review"


@pytest.mark.parametrize(
    ("event_type", "payload", "expected"),
    [
        ("evaluation.opened", {"level": "commune", "council_id": None}, "commune review"),
        ("evaluation.opened", {"level": "province", "council_id": "c"}, "at province council"),
        ("evaluation.opened", {"level": "central", "council_id": "c"}, "at central council"),
        (
            "evaluation.forwarded",
            {"level": "district", "to_level": "province"},
            "at province level, awaiting a council",
        ),
        (
            "evaluation.handed_back",
            {"level": "national", "to_level": "district", "star_rank": 3},
            "handed back to district level for a 3★ decision",
        ),
        (
            "evaluation.handed_back",
            {"level": "national", "to_level": "province", "star_rank": None},
            "handed back to province level",
        ),
        (
            "evaluation.decided",
            {"level": "district", "outcome": "not_recognised"},
            "not recognised at district level",
        ),
        (
            "evaluation.decided",
            {"level": "commune", "outcome": "rejected"},
            "rejected at commune level",
        ),
        ("evaluation.decided", {"level": "province", "outcome": "recognised"}, None),
        (
            "certificate.issued",
            {"star_rank": 4, "expires_on": "2029-11-30"},
            "recognised 4★ until 2029-11-30",
        ),
        ("certificate.revoked", {"star_rank": 4}, "certificate revoked"),
        ("certificate.expired", {"expires_on": "2029-11-30"}, "certificate expired on 2029-11-30"),
        ("evaluation.sheet_submitted", {"level": "province"}, None),
    ],
)
def test_describe(event_type: str, payload: dict[str, Any], expected: str | None) -> None:
    assert describe(event_type, payload) == expected


def test_every_template_fits_the_column() -> None:
    longest = {
        "level": "national",
        "to_level": "national",
        "star_rank": 5,
        "expires_on": "2029-11-30",
        "certificate_number": "OCOP-45.461-2026-00017",
        "certificate_star_rank": 5,
        "number": "OCOP-45.461-2026-00017",
        "superseded_by": "OCOP-45.461-2026-00018",
    }
    for rules in (*TEMPLATES.values(), (SUPERSEDED,)):
        for rule in rules:
            if rule.template is not None:
                assert len(rule.template.format_map(longest)) <= 200
