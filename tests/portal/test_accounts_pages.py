"""The portal's account pages: the administrator's list and search (roles and unit in words),
a new official invited by email, anyone's change of password, "forgot password" (the same page
whoever asks) and the page an emailed link opens (once; a used link says so)."""

from __future__ import annotations

import html
import uuid
from typing import Any

from sqlalchemy import select

from tests.support import flows

NEW_PASSWORD = "mat-khau-moi-2026"


def _last_link(registration: Any, email: str) -> dict[str, Any]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(
            select(o.envelope).where(o.type == "account.password_link_issued").order_by(o.id)
        ).all()
    return [e["payload"] for (e,) in rows if e["payload"]["email"] == email][-1]


def test_the_admin_lists_searches_and_invites(browser, registration) -> None:
    tag = uuid.uuid4().hex[:8]
    email = f"moi-{tag}@example.gov.vn"
    browser.sign_in("admin@ocop.local")
    assert 'href="/accounts"' in browser.html  # in the admin's navigation
    browser.get("/accounts/new")
    page = browser.post(
        "/accounts/new",
        {
            "display_name": f"Đặng Thị Mời {tag}",
            "email": email,
            "roles": ["commune_officer"],
            "unit.province": "45",
            "unit.district": "461",
            "unit": flows.COMMUNE,
            "language": "vi",
            "invite": "1",
        },
    )
    assert browser.status == 200
    assert f"Đặng Thị Mời {tag}" in page and "Cán bộ" in html.unescape(page)
    assert "Phường 1" in page  # the unit in words
    found = browser.get(f"/accounts?q=dang+moi+{tag}")
    assert email in found
    assert email not in browser.get(f"/accounts?q=nobody+{tag}")
    assert "Chưa đặt mật khẩu" in found
    # The admin sends the invitation again (the first one no longer works).
    first = _last_link(registration, email)["token"]
    account_id = _last_link(registration, email)["account_id"]
    browser.post(f"/accounts/{account_id}/password-link")
    assert browser.status == 200 and email in browser.html
    # The invited official sets a password through the emailed link, and is signed in.
    token = _last_link(registration, email)["token"]
    assert token != first
    invited = type(browser)(browser.client.application.test_client())
    page = invited.get(f"/password/set?token={token}")
    assert invited.status == 200 and email in page
    invited.post(
        "/password/set", {"token": token, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD}
    )
    assert f"Đặng Thị Mời {tag}" in invited.html  # signed in
    # The link worked once.
    again = type(browser)(browser.client.application.test_client())
    again.get(f"/password/set?token={token}")
    assert again.status == 410
    assert "/password/forgot" in again.html


def test_the_new_accounts_unit_is_picked_in_words(browser, registration) -> None:
    """Province, then district, then commune, each loaded after the one above (the "load"
    button without JavaScript); the national level for a national official."""
    browser.sign_in("admin@ocop.local")
    page = browser.get("/accounts/new")
    assert "Tỉnh Quảng Trị" in page and "pre2025:" not in page
    page = browser.post("/accounts/new", {"unit.province": "45", "action": "units"})
    assert "Thành phố Đông Hà" in page
    page = browser.post(
        "/accounts/new", {"unit.province": "45", "unit.district": "461", "action": "units"}
    )
    assert "Phường 1" in page
    tag = uuid.uuid4().hex[:8]
    for picked, unit in (
        ({"unit.province": "45", "unit.district": "461"}, "pre2025:district:461"),
        ({"unit.province": "national"}, "national"),
    ):
        email = f"cap-{tag}-{unit.split(':')[-1]}@example.gov.vn"
        browser.get("/accounts/new")
        browser.post(
            "/accounts/new",
            {
                "display_name": f"Cán bộ {tag}",
                "email": email,
                "roles": ["secretariat"],
                "language": "vi",
                "invite": "1",
                **picked,
            },
        )
        assert browser.status == 200 and email in browser.html, browser.html
        assert _last_link(registration, email)["purpose"] == "invitation"
        with registration.db.reader() as session:
            from services.registration.models import Account

            account = session.execute(select(Account).where(Account.email == email)).scalar_one()
            assert account.unit == unit


def test_only_admins_see_the_list(browser, call) -> None:
    applicant = flows.register(call, "applicant")
    browser.sign_in(applicant.account["email"])
    assert 'href="/accounts"' not in browser.html
    browser.get("/accounts")
    assert browser.status == 403


def test_changing_ones_password(browser, call) -> None:
    applicant = flows.register(call, "applicant")
    email = applicant.account["email"]
    browser.sign_in(email)
    browser.get("/account/password")
    browser.post(
        "/account/password",
        {
            "current_password": "wrong-password-1",
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert browser.status == 200 and 'aria-invalid="true"' in browser.html
    browser.post(
        "/account/password",
        {
            "current_password": flows.DEMO_PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_again": NEW_PASSWORD,
        },
    )
    assert browser.status == 200
    assert applicant("GET", "/api/v1/accounts/me").status == 401  # the other session ended
    browser.get("/")
    assert applicant.account["display_name"] in browser.html  # this one goes on
    flows.login(call, email, NEW_PASSWORD)


def test_forgot_password_says_the_same_whoever_asks(browser, call, registration) -> None:
    applicant = flows.register(call, "applicant")
    pages = []
    for email in (applicant.account["email"], f"{uuid.uuid4().hex}@nobody.vn"):
        browser.get("/password/forgot")
        pages.append(browser.post("/password/forgot", {"email": email}).replace(email, "EMAIL"))
        assert browser.status == 200
    assert pages[0] == pages[1]
    assert _last_link(registration, applicant.account["email"])["purpose"] == "reset"
    browser.get("/password/set?token=not-a-token")
    assert browser.status == 410
