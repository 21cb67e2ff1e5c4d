"""A self-registered account confirms its email before it submits a dossier, as deployed
(``OCOP_EMAIL_CONFIRMATION=required``; the suite runs with "off", so these tests use an app of
the same database with the deployed setting): the link is emailed on registering (its token only
in the event), opening it confirms once, a new one replaces the older, a password set by link
confirms too, and officials and deployments that ask for none are not held."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from shared.db import make_engine
from shared.migrate import upgrade
from tests.support import flows

KIND = "account.email_confirmation_issued"


def _app(registration: Any, mode: str) -> Iterator[flows.Transport]:
    from services.registration.app import create_app
    from services.registration.runtime import Registration
    from shared import config

    settings = dataclasses.replace(config.load("registration"), email_confirmation=mode)
    rt = Registration(settings=settings)
    try:
        yield flows.flask_transport(create_app(rt).test_client())
    finally:
        rt.db.dispose()


@pytest.fixture(scope="module")
def required(registration: Any, registration_app: Any) -> Iterator[flows.Transport]:
    yield from _app(registration, "required")


@pytest.fixture(scope="module")
def optional(registration: Any, registration_app: Any) -> Iterator[flows.Transport]:
    yield from _app(registration, "optional")


def _links(registration: Any, account_id: str) -> list[dict[str, Any]]:
    """The confirmation links issued to an account (their events' payloads), oldest first."""
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).where(o.type == KIND).order_by(o.id)).all()
    return [e["payload"] for (e,) in rows if e["payload"]["account_id"] == account_id]


def _ready_dossier(applicant: flows.Actor) -> dict[str, Any]:
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    return applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body


def _confirm(call: flows.Transport, token: str) -> flows.Reply:
    return call("POST", "/api/v1/accounts/email-confirmation", json={"token": token})


def test_an_unconfirmed_applicant_prepares_but_submits_only_once_confirmed(
    registration: Any, required: flows.Transport
) -> None:
    applicant = flows.register(required, "applicant")
    me = applicant("GET", "/api/v1/accounts/me").body
    assert me["email_confirmed_at"] is None
    [link] = _links(registration, me["id"])
    assert (link["email"], link["language"]) == (me["email"], "vi")

    dossier = _ready_dossier(applicant)
    refused = flows.act(applicant, dossier, "submit")
    assert refused.status == 409, refused.body
    assert refused.body["code"] == "email_confirmation.required"
    assert refused.body["params"] == {"email": me["email"]}
    # Nothing moved.
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["status"] == "draft"

    confirmed = _confirm(required, link["token"])
    assert confirmed.status == 200, confirmed.body
    assert confirmed.body["email_confirmed_at"] is not None
    assert flows.act(applicant, dossier, "submit").status == 200
    # Used once.
    again = _confirm(required, link["token"])
    assert (again.status, again.body["code"]) == (410, "email_confirmation.gone")


def test_a_new_link_replaces_the_older_and_none_is_sent_once_confirmed(
    registration: Any, required: flows.Transport
) -> None:
    applicant = flows.register(required, "consultant")
    account_id = applicant.account["id"]
    resent = applicant("POST", "/api/v1/accounts/me/email-confirmation")
    assert resent.status == 202, resent.body
    first, second = _links(registration, account_id)
    assert first["token"] != second["token"]
    assert _confirm(required, first["token"]).status == 410
    assert _confirm(required, second["token"]).status == 200
    done = applicant("POST", "/api/v1/accounts/me/email-confirmation")
    assert (done.status, done.body["code"]) == (409, "email_confirmation.already_confirmed")
    assert len(_links(registration, account_id)) == 2


def test_a_confirmation_link_sets_no_password_and_a_password_link_confirms(
    registration: Any, required: flows.Transport
) -> None:
    applicant = flows.register(required, "applicant")
    me = applicant("GET", "/api/v1/accounts/me").body
    [link] = _links(registration, me["id"])
    # A confirmation token opens no password page and sets no password.
    assert (
        required("POST", "/api/v1/auth/password/link", json={"token": link["token"]}).status == 410
    )
    set_ = required(
        "POST",
        "/api/v1/auth/password/set",
        json={"token": link["token"], "password": "mat-khau-moi-2026"},
    )
    assert set_.status == 410
    # A reset asked for by email replaces the confirmation link; setting the password with it
    # proves the address as well.
    assert (
        required("POST", "/api/v1/auth/password/forgot", json={"email": me["email"]}).status == 202
    )
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        envelopes = conn.execute(
            select(o.envelope).where(o.type == "account.password_link_issued").order_by(o.id)
        ).scalars()
        reset = [e["payload"] for e in envelopes if e["payload"]["account_id"] == me["id"]][-1]
    reply = required(
        "POST",
        "/api/v1/auth/password/set",
        json={"token": reset["token"], "password": "mat-khau-moi-2026"},
    )
    assert reply.status == 200, reply.body
    assert reply.body["account"]["email_confirmed_at"] is not None
    assert _confirm(required, link["token"]).status == 410


def test_malformed_tokens_are_refused_and_change_nothing(required: flows.Transport) -> None:
    for body in ({}, {"token": ""}, {"token": "x" * 500}, {"token": 5}):
        reply = required("POST", "/api/v1/accounts/email-confirmation", json=body)
        assert reply.status == 422, (body, reply.body)
    unknown = _confirm(required, "A" * 43)
    assert (unknown.status, unknown.body["code"]) == (410, "email_confirmation.gone")
    # Asking again needs a signed-in holder.
    assert required("POST", "/api/v1/accounts/me/email-confirmation").status == 401


def test_officials_and_deployments_that_ask_for_none_are_not_held(
    registration: Any, call: flows.Transport, admin: flows.Actor, optional: flows.Transport
) -> None:
    # Created by an administrator: the address is vouched for.
    official = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    assert official("GET", "/api/v1/accounts/me").body["email_confirmed_at"] is not None
    # "off" (the suite's app): taken as confirmed, nothing sent.
    plain = flows.register(call, "applicant")
    assert plain("GET", "/api/v1/accounts/me").body["email_confirmed_at"] is not None
    assert _links(registration, plain.account["id"]) == []
    # "optional": the link is sent, and submitting does not wait for it.
    asked = flows.register(optional, "applicant")
    assert len(_links(registration, asked.account["id"])) == 1
    assert flows.act(asked, _ready_dossier(asked), "submit").status == 200


def test_accounts_from_before_the_release_are_taken_as_confirmed(tmp_path: Path) -> None:
    """Migration 0016 confirms every account already there (their holders have been using
    them; submission refused overnight would strand them)."""
    url = f"sqlite:///{tmp_path / 'registration.sqlite'}"
    upgrade("registration", url, "0015")
    engine = make_engine(url)
    created = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO accounts (id, email, password_hash, display_name, language,"
                    " roles, councils, active, created_at) VALUES (:id, 'cu@example.vn', 'x',"
                    " 'Hộ kinh doanh cũ', 'vi', '[\"applicant\"]', '[]', 1, :created)"
                ),
                {"id": uuid.uuid4().hex, "created": created.isoformat(sep=" ")},
            )
        upgrade("registration", url)
        with engine.connect() as conn:
            confirmed = conn.execute(text("SELECT email_confirmed_at FROM accounts")).scalar_one()
    finally:
        engine.dispose()
    assert confirmed is not None and str(confirmed).startswith("2025-03-01 08:00")
