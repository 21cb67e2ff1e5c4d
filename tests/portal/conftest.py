"""The portal in-process against the real registration and evaluation apps (real databases
and broker of the run mode); its API client reaches them through a WSGI adapter."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.portal.api_client import ApiClient
from services.portal.app import create_app
from shared import config
from tests.portal.wsgi_adapter import WSGIAdapter
from tests.support import councils as kit
from tests.support import flows

REGISTRATION = "http://registration.test"
EVALUATION = "http://evaluation.test"


@pytest.fixture(scope="session")
def portal_app(registration_app: Any, evaluation_app: Any, tmp_path_factory: Any) -> Any:
    settings = replace(
        config.load_portal(),
        data_dir=tmp_path_factory.mktemp("portal"),
        registration_url=REGISTRATION,
        evaluation_url=EVALUATION,
    )
    api = ApiClient(settings)
    api.http.mount(REGISTRATION, WSGIAdapter(registration_app))
    api.http.mount(EVALUATION, WSGIAdapter(evaluation_app))
    app = create_app(settings, api)
    app.config["TESTING"] = True
    return app


class Browser:
    """A person at the portal: follows redirects, sends the CSRF token from the last page."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.html = ""
        self.status = 0

    def get(self, path: str) -> str:
        resp = self.client.get(path, follow_redirects=True)
        self.status, self.html = resp.status_code, resp.get_data(as_text=True)
        return self.html

    def csrf(self) -> str:
        found = re.search(r'name="csrf_token" value="([^"]+)"', self.html)
        assert found, "no form on the page"
        return found.group(1)

    def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> str:
        body = {"csrf_token": self.csrf(), **(data or {})}
        resp = self.client.post(path, data=body, follow_redirects=True, **kw)
        self.status, self.html = resp.status_code, resp.get_data(as_text=True)
        return self.html

    def sign_in(self, email: str, password: str = flows.DEMO_PASSWORD) -> str:
        self.get("/signin")
        return self.post("/signin", {"email": email, "password": password})


@pytest.fixture()
def browser(portal_app: Any) -> Browser:
    return Browser(portal_app.test_client())


@pytest.fixture()
def new_browser(portal_app: Any) -> Any:
    return lambda: Browser(portal_app.test_client())


@pytest.fixture(scope="session")
def officials(admin: flows.Actor, eval_call: Any, registration: Any, evaluation: Any) -> Any:
    """A commune officer, the district secretariat and the district's authority, known to
    the evaluation service."""
    from tests.support.cases import deliver_accounts

    people = {
        "officer": kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE),
        "secretariat": kit.official(admin, eval_call, ["secretariat"], kit.DISTRICT),
        "authority": kit.official(admin, eval_call, ["decision_authority"], kit.DISTRICT),
    }
    deliver_accounts(registration, evaluation)
    return people
