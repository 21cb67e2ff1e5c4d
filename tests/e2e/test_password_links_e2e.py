"""Password links over real processes: an official created without a password, and someone who
forgot theirs, each receive an email (registration's relay → broker → notification's worker
and sender → the SMTP sink) whose one-time link sets the password; then they sign in with it,
and the link works no more. An email with no account receives nothing. A self-registered
applicant, as deployed (confirmation required), is emailed the link that confirms the address,
and submits once it is opened."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.e2e.stack import Stack, free_port
from tests.support import flows, mailbox
from tests.support.environment import Environment

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "mat-khau-moi-2026"


@pytest.fixture(scope="module")
def stack(migrated: Environment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    from services.registration.commands.seed import seed_demo
    from services.registration.runtime import Registration

    rt = Registration()
    seed_demo(rt)
    rt.close()
    smtp_port = free_port()
    s = Stack(
        migrated,
        tmp_path_factory.mktemp("logs"),
        OCOP_SMTP_PORT=str(smtp_port),
        OCOP_RELAY_POLL_SECONDS="5",
        OCOP_EMAIL_CONFIRMATION="required",  # as deployed (the suite's default is "off")
    )
    s.mail_dir = migrated.data_dir / "mail"  # type: ignore[attr-defined]
    try:
        s.start("mail-sink", "sink", "--port", str(smtp_port), "--http-port", str(free_port()))
        s.web("registration", workers=1)
        s.start("registration-relay", "relay", "registration")
        s.start("notification-worker", "worker", "notification")
        s.start("notification-sender", "worker", "notification", "--sender")
        yield s
    finally:
        s.stop()


def _mail_to(stack: Stack, address: str, *, expected: int = 1) -> list[mailbox.Mail]:
    def fetch() -> list[mailbox.Mail]:
        mails = mailbox.read(stack.mail_dir)  # type: ignore[attr-defined]
        return [m for m in mails if address in m.rcpt_tos]

    return mailbox.settle(fetch, lambda found: len(found) >= expected, timeout=60, quiet=2)


def _token(mail: mailbox.Mail, path: str = "/password/set") -> str:
    found = re.search(rf"(\S+{path}\?token=\S+)", mail.text)
    assert found, mail.text
    link = urlsplit(found.group(1))
    assert link.path == path
    assert found.group(1) in mail.html  # the HTML part carries the same link
    return parse_qs(link.query)["token"][0]


def _set(call: flows.Transport, token: str) -> flows.Reply:
    return call(
        "POST", "/api/v1/auth/password/set", json={"token": token, "password": NEW_PASSWORD}
    )


def test_an_invited_official_sets_a_password_from_the_email(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    admin = flows.login(call, "admin@ocop.local")
    invited = flows.official_account(
        admin,
        ["commune_officer"],
        flows.COMMUNE,
        password=None,
        display_name="Trần Văn Được Mời",
        language="en",
    )
    email = invited["email"]
    [mail] = _mail_to(stack, email)
    assert mail.subject == "[OCOP] Set the password of your account"  # the account's language
    token = _token(mail)
    reply = _set(call, token)
    assert reply.status == 200, reply.body
    signed_in = flows.login(call, email, NEW_PASSWORD)
    assert signed_in.account["roles"] == ["commune_officer"]
    assert _set(call, token).status == 410  # once


def test_a_forgotten_password_is_reset_from_the_email(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    email = applicant.account["email"]
    nobody = f"{uuid.uuid4().hex}@nobody.vn"
    for address in (email, nobody):
        reply = call("POST", "/api/v1/auth/password/forgot", json={"email": address})
        assert reply.status == 202
    # The confirmation sent on registering, and the reset.
    mails = _mail_to(stack, email, expected=2)
    [mail] = [m for m in mails if m.subject == "[OCOP] Đặt lại mật khẩu"]
    assert _set(call, _token(mail)).status == 200
    assert applicant("GET", "/api/v1/accounts/me").status == 401  # the session before ended
    flows.login(call, email, NEW_PASSWORD)
    assert _mail_to(stack, nobody, expected=0) == []


def test_a_self_registered_applicant_confirms_the_address_from_the_email(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    email = applicant.account["email"]
    [mail] = _mail_to(stack, email)
    assert mail.subject == "[OCOP] Xác nhận địa chỉ email của tài khoản"
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    ready = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body
    refused = flows.act(applicant, ready, "submit")
    assert (refused.status, refused.body["code"]) == (409, "email_confirmation.required")
    token = _token(mail, "/email/confirm")
    confirmed = call("POST", "/api/v1/accounts/email-confirmation", json={"token": token})
    assert confirmed.status == 200, confirmed.body
    assert flows.act(applicant, ready, "submit").status == 200
