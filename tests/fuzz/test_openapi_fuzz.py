"""Every operation of the three APIs fuzzed from its committed OpenAPI document (schemathesis),
in-process over WSGI against the real databases and broker of the run mode, under an
applicant's and an administrator's token: no server error, and every answer (status code,
content type, headers, body) is one the document declares.

Then statefully: schemathesis follows the documents' OpenAPI links (a producer registered →
read, a dossier opened for it → its documents, an upload, its submission; an official's account
created → read, changed; a council formed → its seats) in short sequences under the same
tokens and checks, so that the operations on a resource are fuzzed with one that exists rather
than with random ids that all answer 404.

Bounded: a handful of examples per operation and token, and a few short scenarios per token
(derandomised), so CI stays well inside its time; ``OCOP_FUZZ_EXAMPLES`` and
``OCOP_FUZZ_SCENARIOS`` raise the counts for a longer run on demand.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.generation import GenerationMode
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
# Scenarios of a few linked calls each: a create, then what its links lead to.
STATEFUL = settings(
    FUZZ,
    max_examples=int(os.environ.get("OCOP_FUZZ_SCENARIOS", "30")),
    stateful_step_count=8,
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
        _check(who, case, response)


def _check(who: str, case: Any, response: Any) -> None:
    where = (who, case.method, case.formatted_path, response.status_code)
    assert response.status_code < 500, (*where, response.text[:500])
    case.validate_response(response, checks=CHECKS)


# What starts a chain of links is a create, and a generated body is almost always refused (a
# unit that exists, Form 02's answers): the creates below are sent valid so that the chains
# are followed (the stateless tests fuzz these bodies). In Kon Tum (62), a province no other
# test uses, so that what the scenarios create is counted by none of them.
KON_TUM_DISTRICT = "pre2025:district:608"
_DAYS = itertools.count()
SEEDS: dict[tuple[str, str], Callable[[Any], Any]] = {
    ("POST", "/api/v1/producers"): lambda _: flows.producer_body("pre2025:commune:23281"),
    # The producer is the one the link names (or a generated id, then refused).
    ("POST", "/api/v1/dossiers"): lambda body: (
        flows.dossier_body(str(body.get("producer_id"))) if isinstance(body, dict) else body
    ),
    ("POST", "/api/v1/accounts"): lambda _: {
        "email": f"fuzz-{uuid.uuid4().hex[:12]}@example.vn",
        "display_name": "Cán bộ thử nghiệm",
        "roles": ["council_member"],
        "unit": KON_TUM_DISTRICT,
    },
    ("POST", "/api/v1/councils"): lambda _: {
        "name": "Hội đồng thử nghiệm",
        "level": "district",
        "unit": KON_TUM_DISTRICT,
    },
    ("POST", "/api/v1/rounds"): lambda _: {
        "name": "Đợt thử nghiệm",
        "level": "district",
        "unit": KON_TUM_DISTRICT,
        # A round a day later each time: one of the same days is a conflict (409).
        "proposals_due": (date.today() + timedelta(days=30 + next(_DAYS))).isoformat(),
        "closes_on": (date.today() + timedelta(days=400)).isoformat(),
    },
}


def _linked(schema: Any, app: Any, who: str, token: str) -> Any:
    """The schema's state machine (its links) calling ``app`` as ``who``, with the checks
    above."""

    # Positive cases only: a negative one (no token, a body refused) ends its chain at once, and
    # the stateless tests above send those. The documents' own links only: those schemathesis
    # would infer (some 250 on registration) leave a few steps no chance of following them.
    stateful = schema.config.phases.stateful
    stateful.generation.update(modes=[GenerationMode.POSITIVE])
    stateful.inference.algorithms = []

    class Linked(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: Any) -> None:
            seed = SEEDS.get((case.method, case.path))
            if seed is not None:
                case.body = seed(case.body)

        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"app": app, "headers": {"Authorization": f"Bearer {token}"}}

        def validate_response(self, response: Any, case: Any, *_: Any, **__: Any) -> None:
            _check(who, case, response)

    return Linked


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


# Notification has no links: it creates nothing a client goes on to act on.
@pytest.mark.parametrize("who", ["applicant", "admin"])
def test_registration_links(who: str, registration_app: Any, tokens: dict[str, str]) -> None:
    _linked(registration, registration_app, who, tokens[who]).run(settings=STATEFUL)


@pytest.mark.parametrize("who", ["applicant", "admin"])
def test_evaluation_links(who: str, evaluation_app: Any, tokens: dict[str, str]) -> None:
    _linked(evaluation, evaluation_app, who, tokens[who]).run(settings=STATEFUL)
