"""Signing out of the portal ends the session for good (ADR 0002): the token inside the session
cookie is revoked at the registration service, so a copy of the cookie taken before signing
out signs nobody in afterwards. Over real processes: tests/e2e/test_current_powers_e2e.py."""

from __future__ import annotations

from typing import Any

from tests.portal.conftest import Browser
from tests.support import flows

COOKIE = "ocop_portal"


def _token_in(portal_app: Any, cookie: str) -> str:
    """The bearer token a session cookie carries (what whoever holds the cookie can use)."""
    serializer = portal_app.session_interface.get_signing_serializer(portal_app)
    return serializer.loads(cookie)["token"]


def test_a_cookie_copied_before_sign_out_signs_nobody_in_after_it(
    portal_app: Any, call: flows.Transport
) -> None:
    person = flows.register(call, "applicant")
    browser = Browser(portal_app.test_client())
    browser.sign_in(person.account["email"])
    assert person.account["display_name"] in browser.get("/")
    copied = browser.client.get_cookie(COOKIE)
    assert copied is not None
    token = _token_in(portal_app, copied.value)
    assert call("GET", "/api/v1/accounts/me", token=token).status == 200

    browser.post("/signout")
    assert browser.status == 200
    assert person.account["display_name"] not in browser.html

    thief = portal_app.test_client()
    thief.set_cookie(COOKIE, copied.value)
    resp = thief.get("/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/signin?next=/")
    reply = call("GET", "/api/v1/accounts/me", token=token)
    assert reply.status == 401, reply.body
    # The person signs in again as usual.
    browser.sign_in(person.account["email"])
    assert person.account["display_name"] in browser.get("/")


def test_signing_out_of_an_expired_session_still_signs_out(
    portal_app: Any, call: flows.Transport
) -> None:
    person = flows.register(call, "applicant")
    browser = Browser(portal_app.test_client())
    browser.sign_in(person.account["email"])
    browser.get("/")
    token = _token_in(portal_app, browser.client.get_cookie(COOKIE).value)
    assert call("POST", "/api/v1/auth/signout", token=token).status == 204  # elsewhere
    browser.post("/signout")  # the API answers 401: the portal signs out all the same
    assert browser.status == 200
    assert browser.client.get("/dossiers/new").status_code == 302
