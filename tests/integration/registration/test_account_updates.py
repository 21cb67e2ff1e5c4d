"""Account changes: one's own name and language, an administrator's changes to an official's
roles and jurisdiction, deactivation; each an ``account.updated`` event that the evaluation
service's officials follow (newest event wins; a deactivated one is seated nowhere, see
test_councils). Bad input changes nothing and tells nobody."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select

from services.evaluation.models import Official
from tests.support import flows
from tests.support.cases import deliver_accounts


def _updates(registration: Any, account_id: str) -> list[dict[str, Any]]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(
            select(o.envelope).where(o.type == "account.updated").order_by(o.id)
        ).all()
    return [e["payload"] for (e,) in rows if e["payload"]["account_id"] == account_id]


def test_anyone_changes_their_own_name_and_language(call, registration) -> None:
    applicant = flows.register(call, "applicant")
    me = applicant.account["id"]
    reply = applicant("PATCH", "/api/v1/accounts/me", json={"display_name": "Lò Thị Mai"})
    assert reply.status == 200, reply.body
    assert (reply.body["display_name"], reply.body["language"]) == ("Lò Thị Mai", "vi")
    reply = applicant("PATCH", "/api/v1/accounts/me", json={"language": "en"})
    assert reply.body["language"] == "en"
    assert applicant("GET", "/api/v1/accounts/me").body["display_name"] == "Lò Thị Mai"
    updates = _updates(registration, me)
    assert [(u["display_name"], u["language"], u["active"]) for u in updates] == [
        ("Lò Thị Mai", "vi", True),
        ("Lò Thị Mai", "en", True),
    ]
    # The same values again change nothing and tell nobody.
    assert applicant("PATCH", "/api/v1/accounts/me", json={"language": "en"}).status == 200
    assert len(_updates(registration, me)) == 2


def test_bad_changes_are_refused_and_change_nothing(call, admin, registration) -> None:
    applicant = flows.register(call, "applicant")
    official = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    me = applicant.account["id"]
    for body in (
        {"language": "fr"},
        {"display_name": ""},
        {"roles": ["admin"]},  # not one's own to change
        {"email": "new@example.vn"},
    ):
        reply = applicant("PATCH", "/api/v1/accounts/me", json=body)
        assert reply.status == 422, (body, reply.body)
        assert reply.headers["Content-Type"].startswith("application/problem+json")
    target = f"/api/v1/accounts/{official.account['id']}"
    assert applicant("PATCH", target, json={"display_name": "x"}).status == 403
    assert applicant("GET", target).status == 404  # someone else's account is out of reach
    for body in ({"roles": []}, {"roles": ["wizard"]}, {"unit": "pre2025:commune:99999"}):
        reply = admin("PATCH", target, json=body)
        assert reply.status == 422, (body, reply.body)
    own = f"/api/v1/accounts/{admin.account['id']}"
    assert admin("PATCH", own, json={"active": False}).status == 422
    assert _updates(registration, me) == []
    assert _updates(registration, official.account["id"]) == []
    assert admin("GET", target).body["roles"] == ["commune_officer"]


def test_an_admin_moves_an_official_and_evaluation_follows(
    call, admin, registration, evaluation
) -> None:
    official = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    account_id = official.account["id"]
    district = "pre2025:district:461"  # the district of flows.COMMUNE
    reply = admin(
        "PATCH",
        f"/api/v1/accounts/{account_id}",
        json={"roles": ["secretariat"], "unit": district, "display_name": "Cán bộ mới"},
    )
    assert reply.status == 200, reply.body
    assert (reply.body["roles"], reply.body["unit"]) == (["secretariat"], district)
    deliver_accounts(registration, evaluation)
    with evaluation.db.reader() as session:
        seen = session.get(Official, uuid.UUID(account_id))
        assert (seen.roles, seen.unit, seen.display_name) == (
            ["secretariat"],
            district,
            "Cán bộ mới",
        )
    # A redelivered older event (the creation) does not undo the move.
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        created = next(
            e
            for (e,) in conn.execute(select(o.envelope).where(o.type == "account.created"))
            if e["payload"]["account_id"] == account_id
        )
    with evaluation.db.unit_of_work() as uow:  # forget it was handled, so it is applied again
        inbox = evaluation.inbox_table
        uow.session.execute(
            inbox.delete().where(inbox.c.event_id == uuid.UUID(created["event_id"]))
        )
        uow.commit()
    assert evaluation.inbox().consume(created) == "handled"
    with evaluation.db.reader() as session:
        assert session.get(Official, uuid.UUID(account_id)).roles == ["secretariat"]


def test_a_deactivated_official_cannot_sign_in(call, admin, registration, evaluation) -> None:
    official = flows.create_official(admin, ["council_member"], flows.COMMUNE)
    account_id = official.account["id"]
    reply = admin("PATCH", f"/api/v1/accounts/{account_id}", json={"active": False})
    assert reply.status == 200 and reply.body["active"] is False
    denied = call(
        "POST",
        "/api/v1/auth/token",
        json={"email": official.account["email"], "password": flows.DEMO_PASSWORD},
    )
    assert denied.status == 401
    deliver_accounts(registration, evaluation)
    with evaluation.db.reader() as session:
        assert session.get(Official, uuid.UUID(account_id)).active is False
