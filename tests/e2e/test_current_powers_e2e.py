"""Current powers over real processes (ADR 0002): an administrator demotes or deactivates an
official, and within seconds the token the official already holds is refused by the
registration, evaluation and notification APIs (the account event travels through the relay,
the broker and each service's worker); signing in again gives a token with the new powers. And
a portal session cookie copied before signing out signs nobody in after it."""

from __future__ import annotations

import base64
import json
import re
import time
import zlib
from typing import Any

import pytest
import requests

from tests.e2e.stack import Stack
from tests.support import flows

pytestmark = pytest.mark.e2e

PROCESSES = (
    "registration-web",
    "evaluation-web",
    "notification-web",
    "registration-relay",
    "evaluation-worker",
    "notification-worker",
)
DISTRICT = "pre2025:district:461"  # the district of flows.COMMUNE
# A path each service answers 200 to any signed-in caller (evaluation's officials list: only
# to the secretariat and administrators, which shows the powers a token carries).
ME = ("registration", "/api/v1/accounts/me")
CASES = ("evaluation", "/api/v1/cases")
OFFICIALS = ("evaluation", "/api/v1/officials")
PREFERENCES = ("notification", "/api/v1/preferences/me")
EVERYWHERE = (ME, CASES, PREFERENCES)
# How long a change may take to reach every service; it takes a second or two (printed).
WITHIN = 30.0


class Apis:
    def __init__(self, stack: Stack) -> None:
        self.calls = {s: flows.http_transport(stack.urls[s]) for s in stack.urls if s != "portal"}
        self.registration = self.calls["registration"]

    def status(self, where: tuple[str, str], token: str) -> int:
        service, path = where
        return self.calls[service]("GET", path, token=token).status

    def refused_everywhere(self, token: str) -> dict[str, float]:
        """Poll each service until it answers 401 problem+json; seconds it took each."""
        started, took = time.monotonic(), {}
        pending = list(EVERYWHERE)
        while pending:
            for where in list(pending):
                service, path = where
                reply = self.calls[service]("GET", path, token=token)
                if reply.status == 401:
                    assert reply.body["type"] == "urn:ocop:problem:unauthorized", reply.body
                    took[service] = round(time.monotonic() - started, 2)
                    pending.remove(where)
                else:
                    assert reply.status == 200, (service, reply.status, reply.body)
            assert time.monotonic() - started < WITHIN, f"still accepted by {pending}"
            time.sleep(0.1)
        print(f"\nrefused after (s): {took}")
        return took

    def eventually(self, where: tuple[str, str], token: str, status: int) -> None:
        deadline = time.monotonic() + WITHIN
        while (got := self.status(where, token)) != status:
            assert time.monotonic() < deadline, (where, got)
            time.sleep(0.1)


@pytest.fixture(scope="module")
def apis(stack: Stack) -> Apis:
    return Apis(stack)


@pytest.fixture(scope="module")
def admin(apis: Apis) -> flows.Actor:
    return flows.login(apis.registration, "admin@ocop.local")


def test_a_demoted_official_is_refused_everywhere_then_signs_in_with_the_new_powers(
    apis: Apis, admin: flows.Actor
) -> None:
    official = flows.create_official(admin, ["secretariat"], DISTRICT)
    for where in (*EVERYWHERE, OFFICIALS):
        assert apis.status(where, official.token) == 200
    reply = admin(
        "PATCH",
        f"/api/v1/accounts/{official.account['id']}",
        json={"roles": ["commune_officer"], "unit": flows.COMMUNE},
    )
    assert reply.status == 200, reply.body
    took = apis.refused_everywhere(official.token)
    assert took["registration"] < 5  # its own change: at once, or its cache's two seconds
    again = flows.login(apis.registration, official.account["email"])
    assert (again.account["roles"], again.account["unit"]) == (["commune_officer"], flows.COMMUNE)
    for where in EVERYWHERE:
        assert apis.status(where, again.token) == 200
    # No longer the secretariat: the officials listed are its commune's officers only (what a
    # commune officer may list, to hand a dossier on), no secretariat of the district.
    listed = apis.calls["evaluation"]("GET", "/api/v1/officials?limit=200", token=again.token)
    assert listed.status == 200, listed.body
    assert {o["unit"] for o in listed.body["items"]} == {flows.COMMUNE}
    assert all("commune_officer" in o["roles"] for o in listed.body["items"])


def test_a_deactivated_official_is_refused_everywhere_and_cannot_sign_in(
    apis: Apis, admin: flows.Actor
) -> None:
    official = flows.create_official(admin, ["council_member"], DISTRICT)
    for where in EVERYWHERE:
        assert apis.status(where, official.token) == 200
    reply = admin("PATCH", f"/api/v1/accounts/{official.account['id']}", json={"active": False})
    assert reply.status == 200, reply.body
    apis.refused_everywhere(official.token)
    denied = apis.registration(
        "POST",
        "/api/v1/auth/token",
        json={"email": official.account["email"], "password": flows.DEMO_PASSWORD},
    )
    assert denied.status == 401


# --- the portal -------------------------------------------------------------------------------

COOKIE = "ocop_portal"


@pytest.fixture(scope="module")
def portal(stack: Stack) -> str:
    stack.env["OCOP_EVALUATION_URL"] = stack.urls["evaluation"]
    stack.env["OCOP_NOTIFICATION_URL"] = stack.urls["notification"]
    stack.env["OCOP_PORTAL_SECURE_COOKIE"] = "0"  # plain HTTP here: let the client send it back
    return stack.web("portal", workers=2)


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no form on the page"
    return found.group(1)


def _token_in(cookie: str) -> str:
    """The token inside a Flask session cookie (signed, not encrypted: readable by whoever
    holds it, which is why signing out must end the token too)."""
    compressed = cookie.startswith(".")
    body = cookie.lstrip(".").split(".")[0]
    data = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    session: dict[str, Any] = json.loads(zlib.decompress(data) if compressed else data)
    return session["token"]


def test_a_session_cookie_copied_before_sign_out_signs_nobody_in_after_it(
    apis: Apis, portal: str
) -> None:
    person = flows.register(apis.registration, "applicant")
    browser = requests.Session()
    page = browser.get(f"{portal}/signin", timeout=30).text
    resp = browser.post(
        f"{portal}/signin",
        data={
            "csrf_token": _csrf(page),
            "email": person.account["email"],
            "password": flows.DEMO_PASSWORD,
        },
        timeout=30,
    )
    assert resp.status_code == 200 and "/signin" not in resp.url, resp.text[-2000:]
    assert person.account["display_name"] in resp.text
    copied = browser.cookies[COOKIE]
    token = _token_in(copied)
    for where in EVERYWHERE:
        apis.eventually(where, token, 200)

    resp = browser.post(f"{portal}/signout", data={"csrf_token": _csrf(resp.text)}, timeout=30)
    assert resp.status_code == 200
    assert person.account["display_name"] not in resp.text

    thief = requests.Session()
    thief.cookies.set(COOKIE, copied)
    resp = thief.get(f"{portal}/", allow_redirects=False, timeout=30)
    assert resp.status_code == 302, resp.text[-2000:]
    assert "/signin?next=/" in resp.headers["Location"]
    apis.refused_everywhere(token)
