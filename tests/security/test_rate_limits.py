"""docs/quality.md 16, in process: login attempts are limited per email and per client address,
answering 429 problem+json with Retry-After (the cross-process part runs under gunicorn).

Every attempt here comes from an address no other test uses (the limit is per remote address,
and the rest of the suite logs in from the test client's 127.0.0.1), so these tests hold in any
order. The window is a fixed minute: a test that would straddle its end waits for the next.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.security.conftest import assert_problem
from tests.support import flows

WINDOW_SECONDS = 60
# The attempts of one test take a couple of seconds (a password hash each); start them early
# enough in a window that all of them fall into it.
NEEDED_SECONDS = 8


# The limits per account (OCOP_LOGIN_ATTEMPTS_PER_MINUTE, 10 as deployed) and per client
# (OCOP_LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE, higher by default so that offices behind one NAT
# address can all sign in). The test environment lifts both for the suite, which signs in from
# one address and often as the demo admin; these tests run on an app of the same database with
# them set low, so they need few attempts.
EMAIL_LIMIT = 10
CLIENT_LIMIT = 10


@pytest.fixture()
def limit() -> int:
    return EMAIL_LIMIT


@pytest.fixture(scope="module")
def client_limited(registration: Any) -> Iterator[flows.Transport]:
    from services.registration.app import create_app
    from services.registration.runtime import Registration
    from shared import config

    settings = dataclasses.replace(
        config.load("registration"),
        login_attempts_per_minute=EMAIL_LIMIT,
        login_attempts_per_client_per_minute=CLIENT_LIMIT,
    )
    rt = Registration(settings=settings)
    try:
        yield flows.flask_transport(create_app(rt).test_client())
    finally:
        rt.db.dispose()


@pytest.fixture()
def same_window() -> None:
    left = WINDOW_SECONDS - time.time() % WINDOW_SECONDS
    if left < NEEDED_SECONDS:
        time.sleep(left + 0.05)


def _login(
    call: flows.Transport, email: str, password: str, address: str, **headers: str
) -> flows.Reply:
    return call(
        "POST",
        "/api/v1/auth/token",
        json={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
        headers=headers,
    )


def _assert_429(reply: flows.Reply) -> None:
    assert_problem(reply, 429, "too-many-requests")
    assert "access_token" not in reply.body
    retry_after = reply.headers.get("Retry-After", "")
    assert retry_after.isdigit(), reply.headers
    assert 0 < int(retry_after) <= WINDOW_SECONDS


def test_eleventh_attempt_for_one_email_is_429_even_with_the_right_password(
    client_limited: flows.Transport, limit: int, same_window: None
) -> None:
    call = client_limited
    email = flows.register_account(call)
    # Case and surrounding spaces name the same account, so they count against it too.
    spellings = [email, email.upper(), f"  {email}  ", email.capitalize()]
    for i in range(limit):
        reply = _login(
            call, spellings[i % len(spellings)], "wrong-password-1", flows.fresh_address()
        )
        assert_problem(reply, 401, "unauthorized")
    _assert_429(_login(call, email, flows.DEMO_PASSWORD, flows.fresh_address()))
    # Another account is not held back by this one's attempts, nor is the client.
    other = flows.register_account(call)
    assert _login(call, other, flows.DEMO_PASSWORD, flows.fresh_address()).status == 200


def test_one_client_is_limited_across_emails(
    client_limited: flows.Transport, same_window: None
) -> None:
    call = client_limited
    address = flows.fresh_address()
    for i in range(CLIENT_LIMIT):
        reply = _login(call, f"sec-nobody-{i}-{uuid.uuid4().hex[:6]}@example.vn", "x" * 12, address)
        assert_problem(reply, 401, "unauthorized")
    email = flows.register_account(call)
    _assert_429(_login(call, email, flows.DEMO_PASSWORD, address))
    # The account itself is fine from elsewhere: only that client is held back.
    assert _login(call, email, flows.DEMO_PASSWORD, flows.fresh_address()).status == 200


def test_forwarded_for_header_does_not_give_a_new_client(
    client_limited: flows.Transport, same_window: None
) -> None:
    # The client is the connection's address; a header the client writes must not reset it.
    call = client_limited
    address = flows.fresh_address()
    for i in range(CLIENT_LIMIT):
        reply = _login(
            call,
            f"sec-nobody-{i}-{uuid.uuid4().hex[:6]}@example.vn",
            "x" * 12,
            address,
            **{"X-Forwarded-For": f"192.0.2.{i + 1}", "X-Real-IP": f"198.51.100.{i + 1}"},
        )
        assert_problem(reply, 401, "unauthorized")
    _assert_429(
        _login(
            call,
            flows.register_account(call),
            flows.DEMO_PASSWORD,
            address,
            **{"X-Forwarded-For": "203.0.113.77", "X-Real-IP": "203.0.113.78"},
        )
    )


def test_successful_logins_count_too(
    client_limited: flows.Transport, limit: int, same_window: None
) -> None:
    # A correct password is no way around the limit: it counts like any other attempt.
    call = client_limited
    email = flows.register_account(call)
    for _ in range(limit):
        assert _login(call, email, flows.DEMO_PASSWORD, flows.fresh_address()).status == 200
    _assert_429(_login(call, email, flows.DEMO_PASSWORD, flows.fresh_address()))


UPLOAD_ATTEMPTS = 120  # the test environment allows 100 a minute (tests/support/environment.py)


def test_uploads_by_one_account_are_limited(call: flows.Transport, same_window: None) -> None:
    applicant = flows.register(call, "applicant", own_address=True)
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"])
    for _ in range(UPLOAD_ATTEMPTS):
        reply = flows.upload(applicant, dossier["id"], "other", "ban-sao.pdf", flows.PDF)
        if reply.status != 201:
            break
    _assert_429(reply)


def test_a_trusted_proxy_names_the_client(
    client_limited: flows.Transport, same_window: None
) -> None:
    # The portal (on this machine, a trusted proxy by default) passes each browser's address:
    # one person's attempts hold back that person only, not everyone signing in through it.
    call = client_limited
    proxy = "127.0.0.1"
    person, other = flows.fresh_address(), flows.fresh_address()
    for i in range(CLIENT_LIMIT):
        reply = _login(
            call,
            f"sec-nobody-{i}-{uuid.uuid4().hex[:6]}@example.vn",
            "x" * 12,
            proxy,
            **{"X-Forwarded-For": person},
        )
        assert_problem(reply, 401, "unauthorized")
    email = flows.register_account(call)
    _assert_429(_login(call, email, flows.DEMO_PASSWORD, proxy, **{"X-Forwarded-For": person}))
    assert (
        _login(call, email, flows.DEMO_PASSWORD, proxy, **{"X-Forwarded-For": other}).status == 200
    )
    # What the person wrote in front of the proxy's entry is not believed: the proxy's is last.
    spoofed = f"{flows.fresh_address()}, {person}"
    _assert_429(_login(call, email, flows.DEMO_PASSWORD, proxy, **{"X-Forwarded-For": spoofed}))
