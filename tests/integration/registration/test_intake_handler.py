"""The commune's intake handler (ADR 0009): a submitted dossier waits in its commune's queue,
where every officer of the commune reads it; one of them takes it (``POST /assign`` without an
account, or by accepting or returning it) or hands it to a colleague, and from then on only its
handler sees it at the commune."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import flows


@pytest.fixture(scope="module")
def officers(admin: flows.Actor) -> tuple[flows.Actor, flows.Actor]:
    """Two officers of flows.COMMUNE."""
    return tuple(  # type: ignore[return-value]
        flows.create_official(admin, ["commune_officer"], flows.COMMUNE) for _ in range(2)
    )


@pytest.fixture(scope="module")
def applicant(call: flows.Transport) -> flows.Actor:
    return flows.register(call, "applicant")


@pytest.fixture(scope="module")
def producer(applicant: flows.Actor) -> dict[str, Any]:
    return flows.create_producer(applicant)


def _in_queue(applicant: flows.Actor, producer: dict[str, Any]) -> dict[str, Any]:
    """A new dossier, submitted: in the commune's queue."""
    dossier = flows.create_dossier(applicant, producer["id"])
    reply = flows.act(applicant, dossier, "submit")
    assert reply.status == 200, reply.body
    assert reply.body["handler_account_id"] is None
    return reply.body


def _assign(actor: flows.Actor, dossier: dict[str, Any], account_id: str | None = None) -> Any:
    body = {"version": dossier["version"]}
    if account_id is not None:
        body["account_id"] = account_id
    return actor("POST", f"/api/v1/dossiers/{dossier['id']}/assign", json=body)


def _problem(reply: flows.Reply, status: int, slug: str) -> dict[str, Any]:
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["type"] == f"urn:ocop:problem:{slug}", reply.body
    return reply.body


def _events(registration: Any, dossier_id: str) -> list[dict[str, Any]]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).scalars().all()
    return [e for e in rows if e.get("dossier_id") == dossier_id]


def _state(registration: Any, dossier_id: str) -> tuple[Any, ...]:
    """The dossier's stored version, status and handler, and the outbox's size."""
    from services.registration.models import Dossier

    with registration.db.reader() as session:
        dossier = session.get_one(Dossier, uuid.UUID(dossier_id))
        outbox = session.execute(select(func.count()).select_from(registration.outbox))
        return dossier.version, dossier.status, dossier.handler_account_id, outbox.scalar_one()


def _ids(actor: flows.Actor, query: str) -> set[str]:
    reply = actor("GET", f"/api/v1/dossiers?{query}&limit=200")
    assert reply.status == 200, reply.body
    return {d["id"] for d in reply.body["items"]}


def test_an_officer_takes_a_dossier_from_the_queue(
    registration: Any, officers: tuple[flows.Actor, flows.Actor], applicant, producer
) -> None:
    mine, colleague = officers
    dossier = _in_queue(applicant, producer)
    for officer in officers:
        assert dossier["id"] in _ids(officer, "handler=none")
        seen = officer("GET", f"/api/v1/dossiers/{dossier['id']}")
        assert seen.status == 200 and "assign" in seen.body["allowed_actions"]

    taken = _assign(mine, dossier)
    assert taken.status == 200, taken.body
    assert taken.body["handler_account_id"] == mine.account["id"]
    assert taken.body["version"] > dossier["version"] and taken.body["status"] == "submitted"
    last = _events(registration, dossier["id"])[-1]
    assert last["type"] == "dossier.assigned"
    assert last["payload"]["handler_account_id"] == mine.account["id"]
    assert last["payload"]["previous_handler_account_id"] is None

    # Only its handler sees it at the commune now; the queue no longer lists it.
    assert dossier["id"] not in _ids(mine, "handler=none")
    assert dossier["id"] in _ids(mine, "handler=me")
    assert dossier["id"] not in _ids(colleague, "handler=none")
    assert dossier["id"] not in _ids(colleague, "status=submitted")
    _problem(colleague("GET", f"/api/v1/dossiers/{dossier['id']}"), 404, "not-found")
    before = _state(registration, dossier["id"])
    _problem(_assign(colleague, taken.body), 404, "not-found")
    _problem(flows.act(colleague, taken.body, "accept"), 404, "not-found")
    assert _state(registration, dossier["id"]) == before
    # The applicant still follows it, and sees who handles it.
    own = applicant("GET", f"/api/v1/dossiers/{dossier['id']}")
    assert own.status == 200 and own.body["handler_account_id"] == mine.account["id"]

    # Taking it again changes nothing.
    again = _assign(mine, taken.body)
    assert again.status == 200 and again.body["version"] == taken.body["version"]
    assert _state(registration, dossier["id"]) == before


def test_the_handler_hands_it_to_a_colleague(
    registration: Any, officers: tuple[flows.Actor, flows.Actor], applicant, producer
) -> None:
    first, second = officers
    taken = _assign(first, _in_queue(applicant, producer)).body
    handed = _assign(first, taken, second.account["id"])
    assert handed.status == 200, handed.body
    assert handed.body["handler_account_id"] == second.account["id"]
    last = _events(registration, taken["id"])[-1]
    assert last["type"] == "dossier.assigned"
    assert last["payload"]["handler_account_id"] == second.account["id"]
    assert last["payload"]["previous_handler_account_id"] == first.account["id"]
    # The one who handed it on no longer has it; the colleague accepts it.
    _problem(first("GET", f"/api/v1/dossiers/{taken['id']}"), 404, "not-found")
    assert taken["id"] in _ids(second, "handler=me")
    accepted = flows.act(second, handed.body, "accept")
    assert accepted.status == 200, accepted.body
    assert accepted.body["handler_account_id"] == second.account["id"]


def test_an_officer_assigns_a_dossier_of_the_queue_to_a_colleague(
    officers: tuple[flows.Actor, flows.Actor], applicant, producer
) -> None:
    first, second = officers
    dossier = _in_queue(applicant, producer)
    handed = _assign(first, dossier, second.account["id"])
    assert handed.status == 200, handed.body
    assert handed.body["handler_account_id"] == second.account["id"]
    _problem(first("GET", f"/api/v1/dossiers/{dossier['id']}"), 404, "not-found")
    assert second("GET", f"/api/v1/dossiers/{dossier['id']}").status == 200


def test_an_officer_of_another_commune_gets_404(
    registration: Any, admin: flows.Actor, applicant, producer
) -> None:
    far = flows.create_official(admin, ["commune_officer"], flows.OTHER_COMMUNE)
    dossier = _in_queue(applicant, producer)
    before = _state(registration, dossier["id"])
    _problem(_assign(far, dossier), 404, "not-found")
    _problem(_assign(far, dossier, far.account["id"]), 404, "not-found")
    assert dossier["id"] not in _ids(far, "handler=none")
    assert _state(registration, dossier["id"]) == before


def test_only_an_officer_of_its_commune_is_handed_a_dossier(
    registration: Any,
    admin: flows.Actor,
    officers: tuple[flows.Actor, flows.Actor],
    applicant,
    producer,
) -> None:
    mine, _ = officers
    secretariat = flows.create_official(admin, ["secretariat"], "pre2025:district:461")
    far = flows.create_official(admin, ["commune_officer"], flows.OTHER_COMMUNE)
    dossier = _in_queue(applicant, producer)
    before = _state(registration, dossier["id"])
    for account_id in (
        secretariat.account["id"],  # an official, not a commune officer
        applicant.account["id"],  # not an official
        far.account["id"],  # an officer of another commune
        str(uuid.uuid4()),  # nobody
    ):
        body = _problem(_assign(mine, dossier, account_id), 422, "validation-error")
        assert "account_id" in body["errors"], body
    assert _state(registration, dossier["id"]) == before


def test_a_dossier_not_at_the_commune_intake_is_409(
    registration: Any, officers: tuple[flows.Actor, flows.Actor], applicant, producer
) -> None:
    mine, colleague = officers
    accepted = flows.act(mine, _in_queue(applicant, producer), "accept").body
    assert accepted["status"] == "accepted"
    withdrawn = flows.act(applicant, _in_queue(applicant, producer), "withdraw", reason="Thôi")
    assert withdrawn.status == 200, withdrawn.body
    for officer, dossier in ((mine, accepted), (colleague, withdrawn.body)):
        before = _state(registration, dossier["id"])
        _problem(_assign(officer, dossier), 409, "transition-not-allowed")
        assert _state(registration, dossier["id"]) == before
    # A draft is the applicant's alone: no officer reaches it.
    draft = flows.create_dossier(applicant, producer["id"])
    _problem(_assign(mine, draft), 404, "not-found")


def test_the_applicant_does_not_assign_and_a_stale_version_is_409(
    registration: Any, officers: tuple[flows.Actor, flows.Actor], applicant, producer
) -> None:
    mine, _ = officers
    dossier = _in_queue(applicant, producer)
    before = _state(registration, dossier["id"])
    refused = _problem(_assign(applicant, dossier), 403, "forbidden")
    # A code and its values for programs; the portal words it in the reader's language.
    assert (refused["code"], refused["params"]) == ("dossier.not_handler", {})
    stale = _problem(_assign(mine, {**dossier, "version": dossier["version"] + 5}), 409, "conflict")
    assert stale["current_version"] == dossier["version"]
    assert stale["code"] == "dossier.stale"
    assert stale["params"] == {
        "yours": dossier["version"] + 5,
        "current_version": dossier["version"],
    }
    assert _state(registration, dossier["id"]) == before


@pytest.mark.parametrize("action", ["accept", "return"])
def test_acting_from_the_queue_takes_the_dossier(
    registration: Any,
    officers: tuple[flows.Actor, flows.Actor],
    applicant,
    producer,
    action: str,
) -> None:
    mine, colleague = officers
    dossier = _in_queue(applicant, producer)
    body = {"missing_items": [{"item": "food_safety_certificate"}]} if action == "return" else {}
    acted = flows.act(colleague, dossier, action, **body)
    assert acted.status == 200, acted.body
    assert acted.body["handler_account_id"] == colleague.account["id"]
    last = _events(registration, dossier["id"])[-1]
    assert last["type"] == f"dossier.{action}ed"
    assert last["payload"]["handler_account_id"] == colleague.account["id"]
    _problem(mine("GET", f"/api/v1/dossiers/{dossier['id']}"), 404, "not-found")
    if action == "return":
        # Resubmitted, it goes back to its handler, not to the queue.
        resubmitted = flows.act(applicant, acted.body, "resubmit")
        assert resubmitted.status == 200, resubmitted.body
        assert resubmitted.body["handler_account_id"] == colleague.account["id"]
        assert dossier["id"] not in _ids(mine, "handler=none")
        assert dossier["id"] in _ids(colleague, "handler=me")
        _problem(mine("GET", f"/api/v1/dossiers/{dossier['id']}"), 404, "not-found")
