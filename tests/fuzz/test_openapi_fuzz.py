"""Every operation of the three APIs fuzzed from its committed OpenAPI document (schemathesis),
in-process over WSGI against the real databases and broker of the run mode, under an
applicant's and an administrator's token: no server error, and every answer (status code,
content type, headers, body) is one the document declares.

Bounded: a handful of examples per operation and token, so CI stays well inside its time;
``OCOP_FUZZ_EXAMPLES`` raises the count for a longer run on demand.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support import flows

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = int(os.environ.get("OCOP_FUZZ_EXAMPLES", "6"))
CHECKS = [
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
]
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,  # the same cases every run: a failure in CI reproduces locally
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="session")
def tokens(call: flows.Transport) -> dict[str, str]:
    """An applicant's and an administrator's token, each of an account of the fuzzing's own:
    what the cases change of "me" (a name, a language) touches no account other tests use."""
    demo_admin = flows.login(call, "admin@ocop.local")
    return {
        "applicant": flows.register(call, "applicant").token,
        "admin": flows.create_official(demo_admin, ["admin"], None).token,
    }


def _call(case: Any, app: Any, tokens: dict[str, str]) -> None:
    for who, token in tokens.items():
        response = case.call(app=app, headers={"Authorization": f"Bearer {token}"})
        where = (who, case.method, case.formatted_path, response.status_code)
        assert response.status_code < 500, (*where, response.text[:500])
        case.validate_response(response, checks=CHECKS)


def _published(service: str) -> Any:
    # The committed document (tests/contract checks it is what the app serves): what clients
    # read is what is fuzzed.
    return schemathesis.openapi.from_path(ROOT / "docs" / "openapi" / f"{service}.json")


# Signing out would revoke the very tokens the fuzzing runs under (ADR 0002): every later case
# would test only the 401. It is exercised in tests/security/test_current_powers.py.
registration = _published("registration").exclude(method="POST", path="/api/v1/auth/signout")
evaluation = _published("evaluation")
notification = _published("notification")


@registration.parametrize()
@FUZZ
def test_registration_api(case: Any, registration_app: Any, tokens: dict[str, str]) -> None:
    _call(case, registration_app, tokens)


@evaluation.parametrize()
@FUZZ
def test_evaluation_api(case: Any, evaluation_app: Any, tokens: dict[str, str]) -> None:
    _call(case, evaluation_app, tokens)


@notification.parametrize()
@FUZZ
def test_notification_api(case: Any, notification_app: Any, tokens: dict[str, str]) -> None:
    _call(case, notification_app, tokens)
