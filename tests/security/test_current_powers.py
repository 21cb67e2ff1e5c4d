"""Current powers (ADR 0002): a token no longer speaks for its account once an administrator
changes the account's roles or jurisdiction or deactivates it, or once it was signed out. The
registration service refuses it at once, evaluation and notification as soon as the account
event reaches them (here handed to their inboxes, as the worker would) and their few seconds'
cache runs out. Signing in again gives a token with the new powers. The same over real
processes: tests/e2e/test_current_powers_e2e.py."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sqlalchemy import select

from tests.security.conftest import assert_problem
from tests.support import flows

DISTRICT = "pre2025:district:461"  # the district of flows.COMMUNE
ME = "/api/v1/accounts/me"
EVAL_OFFICIALS = "/api/v1/officials"  # secretariat and admin only
EVAL_CASES = "/api/v1/cases"  # anyone signed in
NOTE_MINE = "/api/v1/preferences/me"  # anyone signed in


def _account_events(registration: Any, kind: str | None = None) -> list[dict[str, Any]]:
    o = registration.outbox.c
    query = select(o.envelope).where(o.type.like("account.%")).order_by(o.id)
    with registration.db.engine.connect() as conn:
        rows = [e for (e,) in conn.execute(query)]
    return [e for e in rows if kind is None or e["type"] == kind]


def _deliver(registration: Any, *services: Any) -> None:
    """Every account event so far to each service's inbox, in order (what its worker does)."""
    envelopes = _account_events(registration)
    for service in services:
        inbox = service.inbox()
        for envelope in envelopes:
            inbox.consume(envelope)


def _status(call: flows.Transport, path: str, token: str) -> int:
    return call("GET", path, token=token).status


def _eventually(call: flows.Transport, path: str, token: str, status: int) -> flows.Reply:
    """The answer ``status`` within a few seconds (the service's cache lasts two), from 200 or
    401 before."""
    deadline = time.monotonic() + 5
    while (reply := call("GET", path, token=token)).status != status:
        assert reply.status in (200, 401), reply.body
        assert time.monotonic() < deadline, f"{path}: still {reply.status}"
        time.sleep(0.1)
    return reply


def _eventually_refused(call: flows.Transport, path: str, token: str) -> None:
    assert_problem(_eventually(call, path, token, 401), 401, "unauthorized")


@pytest.fixture()
def secretariat(sec_admin: flows.Actor, registration: Any, evaluation: Any, notification: Any):
    """A new district secretariat, signed in, known to every service."""
    person = flows.create_official(sec_admin, ["secretariat"], DISTRICT, own_address=True)
    _deliver(registration, evaluation, notification)
    return person


def test_a_demoted_official_signs_in_again_to_act_with_the_new_powers(
    call: flows.Transport,
    eval_call: flows.Transport,
    note_call: flows.Transport,
    sec_admin: flows.Actor,
    secretariat: flows.Actor,
    registration: Any,
    evaluation: Any,
    notification: Any,
) -> None:
    old = secretariat.token
    assert _status(call, ME, old) == 200
    assert _status(eval_call, EVAL_OFFICIALS, old) == 200
    assert _status(note_call, NOTE_MINE, old) == 200
    target = f"/api/v1/accounts/{secretariat.account['id']}"
    reply = sec_admin("PATCH", target, json={"roles": ["commune_officer"], "unit": flows.COMMUNE})
    assert reply.status == 200, reply.body
    reply = call("GET", ME, token=old)  # the service that made the change: at once
    assert_problem(reply, 401, "unauthorized")
    assert "sign in again" in reply.body["detail"]
    _deliver(registration, evaluation, notification)
    _eventually_refused(eval_call, EVAL_OFFICIALS, old)
    _eventually_refused(note_call, NOTE_MINE, old)
    # A token taken just after the change carries, and is allowed, the new powers only.
    again = flows.login(call, secretariat.account["email"], own_address=True)
    assert (again.account["roles"], again.account["unit"]) == (["commune_officer"], flows.COMMUNE)
    assert _status(call, ME, again.token) == 200
    assert _status(eval_call, EVAL_CASES, again.token) == 200
    # A commune officer lists only its commune's officers (a secretariat's list is gone).
    listed = eval_call("GET", EVAL_OFFICIALS, token=again.token)
    assert listed.status == 200, listed.body
    assert {o["unit"] for o in listed.body["items"]} == {flows.COMMUNE}
    assert _status(note_call, NOTE_MINE, again.token) == 200


def test_a_deactivated_account_loses_every_token_and_a_reactivation_revives_none(
    call: flows.Transport,
    eval_call: flows.Transport,
    note_call: flows.Transport,
    sec_admin: flows.Actor,
    secretariat: flows.Actor,
    registration: Any,
    evaluation: Any,
    notification: Any,
) -> None:
    old = secretariat.token
    target = f"/api/v1/accounts/{secretariat.account['id']}"
    assert sec_admin("PATCH", target, json={"active": False}).status == 200
    assert_problem(call("GET", ME, token=old), 401, "unauthorized")
    _deliver(registration, evaluation, notification)
    _eventually_refused(eval_call, EVAL_CASES, old)
    _eventually_refused(note_call, NOTE_MINE, old)
    denied = call(
        "POST",
        "/api/v1/auth/token",
        json={"email": secretariat.account["email"], "password": flows.DEMO_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.255.0.1"},
    )
    assert denied.status == 401
    assert sec_admin("PATCH", target, json={"active": True}).status == 200
    _deliver(registration, evaluation, notification)
    again = flows.login(call, secretariat.account["email"], own_address=True)
    for transport, path in ((call, ME), (eval_call, EVAL_OFFICIALS), (note_call, NOTE_MINE)):
        _eventually(transport, path, again.token, 200)
        assert transport("GET", path, token=old).status == 401  # issued before: stays refused


def test_a_change_of_name_or_language_leaves_the_tokens_alone(
    call: flows.Transport, sec_admin: flows.Actor, secretariat: flows.Actor, registration: Any
) -> None:
    target = f"/api/v1/accounts/{secretariat.account['id']}"
    reply = sec_admin("PATCH", target, json={"display_name": "Tên mới", "language": "en"})
    assert reply.status == 200, reply.body
    assert _status(call, ME, secretariat.token) == 200
    mine = [
        e["payload"]
        for e in _account_events(registration)
        if e["payload"]["account_id"] == secretariat.account["id"]
    ]
    assert [p.get("powers_changed_at") for p in mine] == [None, None]  # created, renamed
    assert sec_admin("PATCH", target, json={"roles": ["auditor"]}).status == 200
    changed = _account_events(registration, "account.updated")[-1]["payload"]
    assert changed["account_id"] == secretariat.account["id"]
    assert changed["powers_changed_at"] is not None


def test_signing_out_ends_that_token_everywhere_and_no_other(
    call: flows.Transport,
    eval_call: flows.Transport,
    note_call: flows.Transport,
    secretariat: flows.Actor,
    registration: Any,
    evaluation: Any,
    notification: Any,
) -> None:
    phone = flows.login(call, secretariat.account["email"], own_address=True)
    signed_out = secretariat.token
    reply = call("POST", "/api/v1/auth/signout", token=signed_out)
    assert (reply.status, reply.body) == (204, None)
    assert_problem(call("GET", ME, token=signed_out), 401, "unauthorized")
    _deliver(registration, evaluation, notification)
    _eventually_refused(eval_call, EVAL_CASES, signed_out)
    _eventually_refused(note_call, NOTE_MINE, signed_out)
    for transport, path in ((call, ME), (eval_call, EVAL_OFFICIALS), (note_call, NOTE_MINE)):
        assert _status(transport, path, phone.token) == 200  # the other session goes on
    # Once is enough: the same token again is not valid any more, and nobody is told twice.
    assert_problem(call("POST", "/api/v1/auth/signout", token=signed_out), 401, "unauthorized")
    mine = [
        e["payload"]
        for e in _account_events(registration, "account.signed_out")
        if e["payload"]["account_id"] == secretariat.account["id"]
    ]
    assert len(mine) == 1 and mine[0]["expires_at"]
    assert_problem(call("POST", "/api/v1/auth/signout"), 401, "unauthorized")
