"""Intake as a new user would try it: the services run as processes (gunicorn with two
workers, the outbox relay, the notification worker) and are driven over HTTP only."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from sqlalchemy import select

from shared.messaging import topology
from tests.e2e.stack import Stack
from tests.support import flows
from tests.support.broker import drain

pytestmark = pytest.mark.e2e

# The sign-in limit per account as deployed (the test environment lifts it for the suite).
ENV = {"OCOP_LOGIN_ATTEMPTS_PER_MINUTE": "10"}


def _wait_for(predicate, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return False


def test_intake_over_http_publishes_each_event_once(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    drain(stack.env["OCOP_BROKER_URL"], "evaluation.events")
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert (
        flows.upload(
            applicant, dossier["id"], "label_packaging", "nhan.png", flows.PNG, "image/png"
        ).status
        == 201
    )
    submitted = flows.act(applicant, dossier, "submit").body
    returned = flows.act(
        officer, submitted, "return", missing_items=[{"item": "test_report", "note": None}]
    ).body
    assert returned["status"] == "returned"
    assert flows.upload(applicant, dossier["id"], "test_report").status == 201
    resubmitted = flows.act(applicant, returned, "resubmit").body
    accepted = flows.act(officer, resubmitted, "accept")
    assert accepted.status == 200, accepted.body

    published = [
        "dossier.document_added",
        "dossier.submitted",
        "dossier.returned",
        "dossier.document_added",
        "dossier.resubmitted",
        "dossier.accepted",
    ]
    # The evaluation queue is bound to the types evaluation handles, and gets each once.
    expected = [t for t in published if t in topology.SUBSCRIPTIONS["evaluation"]]
    assert expected == ["dossier.document_added", "dossier.document_added", "dossier.accepted"]
    got: list[dict] = []
    deadline = time.monotonic() + 30
    while len(got) < len(expected) and time.monotonic() < deadline:
        got += [
            e
            for e in drain(stack.env["OCOP_BROKER_URL"], "evaluation.events", timeout=1)
            if e["dossier_id"] == dossier["id"]
        ]
    time.sleep(1)  # anything published twice would arrive by now
    got += [
        e
        for e in drain(stack.env["OCOP_BROKER_URL"], "evaluation.events", timeout=1)
        if e["dossier_id"] == dossier["id"]
    ]
    assert [e["type"] for e in got] == expected
    assert got[-1]["payload"]["product_code"] == accepted.body["product_code"]
    # The request id of the HTTP call that caused an event travels with it.
    assert all(e["correlation_id"] for e in got)


def test_new_account_reaches_the_notification_read_model(stack: Stack) -> None:
    from services.notification.models import Contact
    from services.notification.runtime import Notification

    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    account_id = uuid.UUID(applicant.account["id"])
    rt = Notification()
    try:

        def arrived() -> bool:
            with rt.db.reader() as session:
                return (
                    session.execute(
                        select(Contact).where(Contact.account_id == account_id)
                    ).scalar_one_or_none()
                    is not None
                )

        assert _wait_for(arrived), stack.log("notification-worker")
        with rt.db.reader() as session:
            contact = session.get(Contact, account_id)
            assert contact is not None
            assert contact.email == applicant.account["email"]
            assert contact.roles == ["applicant"]
    finally:
        rt.close()


def test_login_limit_holds_across_gunicorn_workers(stack: Stack) -> None:
    url = stack.urls["registration"] + "/api/v1/auth/token"
    email = f"nobody-{uuid.uuid4().hex[:8]}@example.vn"
    statuses = []
    for _ in range(12):
        # A fresh connection each time, so the requests spread over both workers.
        statuses.append(
            requests.post(
                url,
                json={"email": email, "password": "wrong-password"},
                timeout=10,
                headers={"Connection": "close"},
            )
        )
    codes = [r.status_code for r in statuses]
    assert codes[:10] == [401] * 10
    assert codes[10:] == [429, 429]
    assert int(statuses[-1].headers["Retry-After"]) > 0
    assert statuses[-1].headers["Content-Type"] == "application/problem+json"


def test_health_readiness_metrics_and_openapi(stack: Stack) -> None:
    base = stack.urls["registration"]
    assert requests.get(f"{base}/healthz", timeout=5).json()["status"] == "ok"
    ready = requests.get(f"{base}/readyz", timeout=5).json()
    assert ready == {"status": "ready", "checks": {"database": "ok"}, "broker": "ok"}
    metrics = requests.get(f"{base}/metrics", timeout=5).text
    assert "ocop_http_requests_total" in metrics
    spec = requests.get(f"{base}/api/v1/openapi.json", timeout=5).json()
    assert "/api/v1/dossiers/{dossier_id}/submit" in spec["paths"]
    rid = requests.get(f"{base}/healthz", headers={"X-Request-ID": "trace-123"}, timeout=5)
    assert rid.headers["X-Request-ID"] == "trace-123"


def test_other_services_verify_tokens_through_the_published_keys(stack: Stack) -> None:
    call = flows.http_transport(stack.urls["registration"])
    applicant = flows.register(call, "applicant")
    header, payload, signature = applicant.token.split(".")
    forged = f"{header}.{payload}.{signature[::-1]}"
    for service in ("evaluation", "notification"):
        base = stack.urls[service]
        ok = requests.get(
            f"{base}/api/v1/openapi.json",
            timeout=10,
            headers={"Authorization": f"Bearer {applicant.token}"},
        )
        assert ok.status_code == 200, ok.text
        bad = requests.get(
            f"{base}/api/v1/openapi.json", timeout=10, headers={"Authorization": f"Bearer {forged}"}
        )
        assert bad.status_code == 401
        assert bad.json()["type"] == "urn:ocop:problem:unauthorized"
        assert requests.get(f"{base}/readyz", timeout=10).json()["status"] == "ready"
