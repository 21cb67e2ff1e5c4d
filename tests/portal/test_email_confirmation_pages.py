"""The portal as a self-registered applicant meets email confirmation where it is required
(as deployed): told on registering where the link went, a notice on the home page with a button
to send it again, the emailed link's page (opening it changes nothing; the button confirms,
once), and a submission refused in words until then."""

from __future__ import annotations

import dataclasses
import html
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from services.portal.api_client import ApiClient
from services.portal.app import create_app
from shared import config
from tests.portal.conftest import EVALUATION, REGISTRATION, Browser
from tests.portal.wsgi_adapter import WSGIAdapter
from tests.support import flows

KIND = "account.email_confirmation_issued"


@pytest.fixture(scope="module")
def required_portal(
    registration: Any, registration_app: Any, evaluation_app: Any, tmp_path_factory: Any
) -> Iterator[Any]:
    """The portal in front of a registration app of the same database, with confirmation
    required as deployed (the suite's own runs with "off")."""
    from services.registration.app import create_app as registration_app_for
    from services.registration.runtime import Registration

    rt = Registration(
        settings=dataclasses.replace(config.load("registration"), email_confirmation="required")
    )
    settings = dataclasses.replace(
        config.load_portal(),
        data_dir=tmp_path_factory.mktemp("portal-confirm"),
        registration_url=REGISTRATION,
        evaluation_url=EVALUATION,
    )
    api = ApiClient(settings)
    api.http.mount(REGISTRATION, WSGIAdapter(registration_app_for(rt)))
    api.http.mount(EVALUATION, WSGIAdapter(evaluation_app))
    app = create_app(settings, api)
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        rt.db.dispose()


def _tokens(registration: Any, email: str) -> list[str]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).where(o.type == KIND).order_by(o.id)).all()
    return [e["payload"]["token"] for (e,) in rows if e["payload"]["email"] == email]


def _register(browser: Browser, email: str) -> str:
    browser.get("/register")
    return browser.post(
        "/register",
        {
            "display_name": "Hộ kinh doanh Trần Văn Xác",
            "email": email,
            "password": flows.DEMO_PASSWORD,
            "role": "applicant",
            "language": "vi",
        },
    )


def test_an_applicant_confirms_the_email_through_the_portal(
    required_portal: Any, registration: Any
) -> None:
    browser = Browser(required_portal.test_client())
    email = f"xac-nhan-{uuid.uuid4().hex[:8]}@example.vn"
    page = html.unescape(_register(browser, email))
    assert browser.status == 200
    assert f"Chúng tôi đã gửi thư xác nhận tới {email}" in page
    assert "data-unconfirmed" in page and "Gửi lại thư xác nhận" in page

    # Sent again: the older link stops working.
    page = html.unescape(browser.post("/email/confirm/resend"))
    assert f"Đã gửi lại thư xác nhận tới {email}" in page
    first, second = _tokens(registration, email)

    # Opening the link changes nothing (mail filters open links too) ...
    browser.get(f"/email/confirm?token={second}")
    assert browser.status == 200 and "Xác nhận địa chỉ email" in browser.html
    assert "data-unconfirmed" in browser.get("/")
    # ... the button confirms, and the notice is gone.
    browser.get(f"/email/confirm?token={second}")
    page = html.unescape(browser.post("/email/confirm", {"token": second}))
    assert f"Đã xác nhận địa chỉ email {email}." in page
    assert "data-unconfirmed" not in page
    # Used, and the older one replaced: both say so, with the way on.
    for token in (first, second):
        browser.get(f"/email/confirm?token={token}")
        gone = html.unescape(browser.post("/email/confirm", {"token": token}))
        assert browser.status == 410 and "Liên kết không còn dùng được" in gone
    browser.get("/email/confirm")
    assert browser.status == 410


def test_a_submission_before_confirming_is_refused_in_words(
    required_portal: Any, call: flows.Transport
) -> None:
    browser = Browser(required_portal.test_client())
    email = f"chua-xac-nhan-{uuid.uuid4().hex[:8]}@example.vn"
    _register(browser, email)
    # The producer and a dossier ready to file, prepared over the API (the same database).
    applicant = flows.login(call, email)
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    version = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["version"]
    browser.get(f"/dossiers/{dossier['id']}")
    page = browser.post(f"/dossiers/{dossier['id']}/submit", {"version": str(version)})
    assert f"Hãy xác nhận địa chỉ email {email} trước khi nộp hồ sơ" in html.unescape(page)
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["status"] == "draft"
