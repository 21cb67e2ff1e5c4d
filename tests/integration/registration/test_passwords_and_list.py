"""Accounts an operator can run: the administrators' list (searched without tones, in
Vietnamese order, paged), a password changed by its holder (other sessions end), a reset by
email (the same answer whoever asks, limited, one-time links that lapse and are replaced),
invitations of officials created without a password, and accounts without one (imported
producers) that sign in nowhere until claimed by link."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from services.registration.models import Account, PasswordLink
from tests.support import flows

NEW_PASSWORD = "mat-khau-moi-2026"


def _links(registration: Any, account_id: str) -> list[dict[str, Any]]:
    """The ``account.password_link_issued`` payloads for an account, oldest first."""
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(
            select(o.envelope).where(o.type == "account.password_link_issued").order_by(o.id)
        ).all()
    return [e["payload"] for (e,) in rows if e["payload"]["account_id"] == account_id]


def _sign_in(call: flows.Transport, email: str, password: str) -> flows.Reply:
    return call("POST", "/api/v1/auth/token", json={"email": email, "password": password})


# --- the list -------------------------------------------------------------------------------


def test_admins_list_accounts_searched_without_tones_in_vietnamese_order(call, admin) -> None:
    tag = uuid.uuid4().hex[:8]
    names = [f"Đỗ Văn Bình {tag}", f"Dương Thị An {tag}", f"Ánh Nguyễn {tag}", f"Ân Lê {tag}"]
    for name in names:
        flows.official_account(admin, ["commune_officer"], flows.COMMUNE, display_name=name)
    reply = admin("GET", f"/api/v1/accounts?q={tag}")
    assert reply.status == 200, reply.body
    # a ă â … d đ: "Ánh" (a) before "Ân" (â), "Dương" (d) before "Đỗ" (đ).
    assert [a["display_name"] for a in reply.body["items"]] == [
        names[2],
        names[3],
        names[1],
        names[0],
    ]
    found = admin("GET", f"/api/v1/accounts?q=do+binh+{tag}").body["items"]
    assert [a["display_name"] for a in found] == [names[0]]
    # In the email too, by its parts.
    email = found[0]["email"]
    by_email = admin("GET", f"/api/v1/accounts?q={email.split('@')[0]}").body["items"]
    assert [a["email"] for a in by_email] == [email]
    # Paged: two by two, the cursor gives the rest, in the same order.
    first = admin("GET", f"/api/v1/accounts?q={tag}&limit=2").body
    assert len(first["items"]) == 2 and first["next"]
    rest = admin("GET", f"/api/v1/accounts?q={tag}&limit=2&after={first['next']}").body
    assert [a["display_name"] for a in first["items"] + rest["items"]] == [
        names[2],
        names[3],
        names[1],
        names[0],
    ]
    assert rest["next"] is None


def test_the_list_filters_by_role_and_active_flag_and_is_for_admins_only(call, admin) -> None:
    tag = uuid.uuid4().hex[:8]
    auditor = flows.official_account(
        admin, ["auditor"], flows.COMMUNE, display_name=f"Kiểm toán {tag}"
    )
    officer = flows.official_account(
        admin, ["commune_officer"], flows.COMMUNE, display_name=f"Cán bộ {tag}"
    )
    admin("PATCH", f"/api/v1/accounts/{officer['id']}", json={"active": False})
    role = admin("GET", f"/api/v1/accounts?q={tag}&role=auditor").body["items"]
    assert [a["id"] for a in role] == [auditor["id"]]
    off = admin("GET", f"/api/v1/accounts?q={tag}&active=false").body["items"]
    assert [a["id"] for a in off] == [officer["id"]]
    assert admin("GET", "/api/v1/accounts?role=king").status == 422
    assert admin("GET", f"/api/v1/accounts?after={uuid.uuid4()}").status == 422
    applicant = flows.register(call, "applicant")
    assert applicant("GET", "/api/v1/accounts").status == 403
    assert call("GET", "/api/v1/accounts").status == 401


# --- changing one's password ----------------------------------------------------------------


def test_a_changed_password_ends_the_other_sessions(call) -> None:
    first = flows.register(call, "applicant")
    email = first.account["email"]
    second = flows.login(call, email)
    reply = first(
        "POST",
        "/api/v1/accounts/me/password",
        json={"current_password": flows.DEMO_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert reply.status == 200, reply.body
    fresh = reply.body["access_token"]
    assert call("GET", "/api/v1/accounts/me", token=fresh).status == 200
    for old in (first, second):
        assert old("GET", "/api/v1/accounts/me").status == 401
    assert _sign_in(call, email, flows.DEMO_PASSWORD).status == 401
    assert _sign_in(call, email, NEW_PASSWORD).status == 200


def test_a_wrong_current_password_or_a_short_new_one_changes_nothing(call) -> None:
    me = flows.register(call, "applicant")
    for body, field in (
        ({"current_password": "not-mine-at-all", "new_password": NEW_PASSWORD}, "current_password"),
        ({"current_password": flows.DEMO_PASSWORD, "new_password": "short"}, "new_password"),
    ):
        reply = me("POST", "/api/v1/accounts/me/password", json=body)
        assert reply.status == 422, reply.body
        assert field in reply.body["errors"]
    assert me("GET", "/api/v1/accounts/me").status == 200  # the session goes on
    assert _sign_in(call, me.account["email"], flows.DEMO_PASSWORD).status == 200
    assert call("POST", "/api/v1/accounts/me/password", json={}).status == 401


# --- reset by email -------------------------------------------------------------------------


def test_forgot_password_answers_the_same_for_unknown_emails(call, registration) -> None:
    me = flows.register(call, "applicant")
    known = call("POST", "/api/v1/auth/password/forgot", json={"email": me.account["email"]})
    unknown = call(
        "POST", "/api/v1/auth/password/forgot", json={"email": f"{uuid.uuid4().hex}@nobody.vn"}
    )
    assert (known.status, known.body) == (unknown.status, unknown.body)
    assert known.status == 202
    [link] = _links(registration, me.account["id"])
    assert link["purpose"] == "reset" and link["email"] == me.account["email"]
    # Only its hash is kept.
    with registration.db.reader() as session:
        row = session.get(PasswordLink, uuid.UUID(me.account["id"]))
        assert row is not None and link["token"] not in row.token_hash


def test_a_reset_link_sets_the_password_once_and_ends_every_session(call, registration) -> None:
    me = flows.register(call, "applicant")
    email = me.account["email"]
    call("POST", "/api/v1/auth/password/forgot", json={"email": email.upper()})
    token = _links(registration, me.account["id"])[-1]["token"]
    seen = call("POST", "/api/v1/auth/password/link", json={"token": token})
    assert seen.status == 200, seen.body
    assert (seen.body["purpose"], seen.body["email"]) == ("reset", email)
    reply = call(
        "POST", "/api/v1/auth/password/set", json={"token": token, "password": NEW_PASSWORD}
    )
    assert reply.status == 200, reply.body
    assert call("GET", "/api/v1/accounts/me", token=reply.body["access_token"]).status == 200
    assert me("GET", "/api/v1/accounts/me").status == 401  # the session before it ended
    assert _sign_in(call, email, NEW_PASSWORD).status == 200
    # Used: gone.
    again = call(
        "POST", "/api/v1/auth/password/set", json={"token": token, "password": "another-one-2026"}
    )
    assert again.status == 410 and again.body["code"] == "password_link.gone"
    assert call("POST", "/api/v1/auth/password/link", json={"token": token}).status == 410
    assert _sign_in(call, email, NEW_PASSWORD).status == 200


def test_a_newer_link_replaces_the_older_and_links_lapse(call, registration) -> None:
    me = flows.register(call, "applicant")
    for _ in range(2):
        call("POST", "/api/v1/auth/password/forgot", json={"email": me.account["email"]})
    older, newer = (p["token"] for p in _links(registration, me.account["id"]))
    body = {"password": NEW_PASSWORD}
    assert call("POST", "/api/v1/auth/password/set", json={"token": older, **body}).status == 410
    # The newer one, once it has lapsed, is gone too.
    with registration.db.unit_of_work() as uow:
        uow.session.execute(
            update(PasswordLink)
            .where(PasswordLink.account_id == uuid.UUID(me.account["id"]))
            .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
        uow.commit()
    assert call("POST", "/api/v1/auth/password/set", json={"token": newer, **body}).status == 410
    assert _sign_in(call, me.account["email"], flows.DEMO_PASSWORD).status == 200


def test_forgot_password_is_limited_per_email(call) -> None:
    email = f"{uuid.uuid4().hex}@nobody.vn"
    answers = [
        call("POST", "/api/v1/auth/password/forgot", json={"email": email}).status for _ in range(6)
    ]
    assert answers == [202] * 5 + [429]


def test_an_account_without_a_password_signs_in_nowhere_until_claimed(call, registration):
    """Imported producers' accounts have no password: sign-in refuses them cleanly (401);
    "forgot password" sends them a link to set one."""
    email = f"imported-{uuid.uuid4().hex[:10]}@example.vn"
    account_id = uuid.uuid4()
    with registration.db.unit_of_work() as uow:
        uow.session.add(
            Account(
                id=account_id,
                email=email,
                password_hash="",
                display_name="Hợp tác xã Nhập Khẩu",
                language="vi",
                roles=["applicant"],
                unit=None,
                councils=[],
                created_at=datetime.now(UTC),
            )
        )
        uow.commit()
    for password in ("", "anything-at-all"):
        reply = _sign_in(call, email, password)
        assert reply.status == 401, reply.body
    assert call("POST", "/api/v1/auth/password/forgot", json={"email": email}).status == 202
    [link] = _links(registration, str(account_id))
    assert link["purpose"] == "invitation"  # setting one's first password
    reply = call(
        "POST", "/api/v1/auth/password/set", json={"token": link["token"], "password": NEW_PASSWORD}
    )
    assert reply.status == 200, reply.body
    assert _sign_in(call, email, NEW_PASSWORD).status == 200


# --- invitations ----------------------------------------------------------------------------


def test_an_official_created_without_a_password_is_invited(call, admin, registration) -> None:
    official = flows.official_account(
        admin, ["commune_officer"], flows.COMMUNE, display_name="Phan Thị Mời", password=None
    )
    assert _sign_in(call, official["email"], "").status in (401, 422)
    [link] = _links(registration, official["id"])
    assert link["purpose"] == "invitation"
    lapses = datetime.fromisoformat(link["expires_at"]) - datetime.now(UTC)
    assert timedelta(days=6) < lapses <= timedelta(days=7)
    reply = call(
        "POST", "/api/v1/auth/password/set", json={"token": link["token"], "password": NEW_PASSWORD}
    )
    assert reply.status == 200, reply.body
    assert reply.body["account"]["roles"] == ["commune_officer"]
    assert _sign_in(call, official["email"], NEW_PASSWORD).status == 200
    # An applicant still gives a password to register.
    no_password = call(
        "POST",
        "/api/v1/accounts/register",
        json={"email": f"x-{uuid.uuid4().hex[:8]}@example.vn", "display_name": "X"},
    )
    assert no_password.status == 422


def test_an_admin_sends_the_invitation_again(call, admin, registration) -> None:
    official = flows.official_account(
        admin, ["commune_officer"], flows.COMMUNE, display_name="Lê Văn Lỡ Hẹn", password=None
    )
    assert official["password_set"] is False
    first = _links(registration, official["id"])[-1]["token"]
    path = f"/api/v1/accounts/{official['id']}/password-link"
    reply = admin("POST", path)
    assert reply.status == 200, reply.body
    again = _links(registration, official["id"])
    assert [p["purpose"] for p in again] == ["invitation", "invitation"]
    body = {"password": NEW_PASSWORD}
    assert call("POST", "/api/v1/auth/password/set", json={"token": first, **body}).status == 410
    token = again[-1]["token"]
    set_ = call("POST", "/api/v1/auth/password/set", json={"token": token, **body})
    assert set_.status == 200 and set_.body["account"]["password_set"] is True
    # Once it has a password, the link an admin sends is a reset.
    assert admin("POST", path).status == 200
    assert _links(registration, official["id"])[-1]["purpose"] == "reset"
    deactivated = admin("PATCH", f"/api/v1/accounts/{official['id']}", json={"active": False})
    assert deactivated.status == 200
    assert admin("POST", path).status == 422  # deactivated: no link
    applicant = flows.register(call, "applicant")
    assert applicant("POST", path).status == 403
    assert admin("POST", f"/api/v1/accounts/{uuid.uuid4()}/password-link").status == 404


def test_of_two_requests_racing_with_one_link_one_sets_the_password(
    call, registration, registration_app
) -> None:
    me = flows.register(call, "applicant")
    call("POST", "/api/v1/auth/password/forgot", json={"email": me.account["email"]})
    token = _links(registration, me.account["id"])[-1]["token"]
    start = threading.Barrier(2)

    def use(password: str) -> int:
        client = flows.flask_transport(registration_app.test_client())
        start.wait()
        body = {"token": token, "password": password}
        return client("POST", "/api/v1/auth/password/set", json=body).status

    with ThreadPoolExecutor(2) as pool:
        answers = sorted(pool.map(use, ["first-password-2026", "second-password-2026"]))
    assert answers == [200, 410]
    signed_in = [
        _sign_in(call, me.account["email"], p).status
        for p in ("first-password-2026", "second-password-2026")
    ]
    assert sorted(signed_in) == [200, 401]


def test_two_requests_at_once_for_one_account_leave_one_link(
    call, registration, registration_app
) -> None:
    me = flows.register(call, "applicant")
    start = threading.Barrier(2)

    def ask(_: int) -> int:
        client = flows.flask_transport(registration_app.test_client())
        start.wait()
        body = {"email": me.account["email"]}
        return client("POST", "/api/v1/auth/password/forgot", json=body).status

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(ask, range(2))) == [202, 202]
    with registration.db.reader() as session:
        rows = session.execute(
            select(PasswordLink).where(PasswordLink.account_id == uuid.UUID(me.account["id"]))
        ).all()
    assert len(rows) == 1
