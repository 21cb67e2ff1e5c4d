"""Bad input throughout the intake flow gets a clear problem+json answer and changes nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.support import flows


@pytest.fixture()
def snapshot(registration, applicant):
    """Returns a function capturing the outbox size and a dossier as its owner sees it."""

    def take(dossier_id: str | None = None) -> tuple[int, Any]:
        with registration.db.engine.connect() as conn:
            count = conn.execute(select(func.count()).select_from(registration.outbox)).scalar_one()
        body = applicant("GET", f"/api/v1/dossiers/{dossier_id}").body if dossier_id else None
        return count, body

    return take


def _problem(reply: flows.Reply, status: int, slug: str) -> dict:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:ocop:problem:{slug}"
    assert reply.body["status"] == status and reply.body["title"]
    return reply.body


def test_invalid_option_for_a_criterion(applicant, producer, snapshot) -> None:
    before = snapshot()
    body = flows.dossier_body(producer["id"])
    body["self_assessment"]["1.1"] = "z"
    body["self_assessment"]["9.9"] = "a"
    problem = _problem(applicant("POST", "/api/v1/dossiers", json=body), 422, "validation-error")
    assert "1.1" in problem["errors"]["self_assessment"]
    assert problem["code"] == "self_assessment.mismatch"
    codes = problem["field_codes"]
    assert codes["self_assessment.1.1"] == "answer.unknown_option"
    assert problem["field_params"]["self_assessment.1.1"] == {"answer": "z", "expected": "a, b, c"}
    assert codes["self_assessment.9.9"] == "answer.unknown_criterion"
    assert snapshot() == before


def test_unknown_product_set(applicant, producer, snapshot) -> None:
    before = snapshot()
    body = flows.dossier_body(producer["id"]) | {"product_set_code": "27", "self_assessment": {}}
    problem = _problem(applicant("POST", "/api/v1/dossiers", json=body), 422, "validation-error")
    assert "product_set_code" in problem["errors"]
    assert snapshot() == before


def test_incomplete_self_assessment_cannot_be_submitted(applicant, producer, snapshot) -> None:
    body = flows.dossier_body(producer["id"])
    body["self_assessment"] = dict(list(body["self_assessment"].items())[:5])
    draft = applicant("POST", "/api/v1/dossiers", json=body).body
    before = snapshot(draft["id"])
    problem = _problem(flows.act(applicant, draft, "submit"), 422, "validation-error")
    assert problem["errors"]["self_assessment"]
    assert set(problem["field_codes"].values()) == {"answer.missing"}
    assert snapshot(draft["id"]) == before


def test_wrong_role(applicant, dossier, commune_officer, snapshot) -> None:
    before = snapshot(dossier["id"])
    # A draft is the producer side's alone (ADR 0009): no official reaches it, so an officer
    # cannot submit it for the applicant (before, the commune's officers read drafts: 403).
    _problem(flows.act(commune_officer, dossier, "submit"), 404, "not-found")
    assert snapshot(dossier["id"]) == before
    submitted = flows.act(applicant, dossier, "submit").body
    before = snapshot(dossier["id"])
    # Submitted, it waits in the commune's queue: the officer reaches it but does not act for
    # the applicant; an applicant cannot accept its own dossier.
    _problem(flows.act(commune_officer, submitted, "withdraw", reason="x"), 403, "forbidden")
    _problem(flows.act(applicant, submitted, "accept"), 403, "forbidden")
    assert snapshot(dossier["id"]) == before
    # An officer cannot open a dossier for a producer.
    reply = commune_officer(
        "POST", "/api/v1/dossiers", json=flows.dossier_body(dossier["producer_id"])
    )
    assert reply.status in (403, 404)


def test_another_applicants_dossier_does_not_exist(call, dossier, snapshot) -> None:
    intruder = flows.register(call, "applicant")
    before = snapshot(dossier["id"])
    for reply in (
        intruder("GET", f"/api/v1/dossiers/{dossier['id']}"),
        intruder(
            "PATCH", f"/api/v1/dossiers/{dossier['id']}", json={"version": 1, "product_name": "x"}
        ),
        flows.act(intruder, dossier, "submit"),
        flows.upload(intruder, dossier["id"], "other"),
        intruder("GET", f"/api/v1/dossiers/{dossier['id']}/documents"),
    ):
        problem = _problem(reply, 404, "not-found")
        # Only what the caller sent comes back (the path); nothing of the dossier.
        assert set(problem) <= {
            *("type", "title", "status", "detail", "instance", "request_id", "code", "params")
        }
        assert problem["params"] == {}
        assert dossier["product_name"] not in str(problem)
    listing = intruder("GET", "/api/v1/dossiers")
    assert dossier["id"] not in [d["id"] for d in listing.body["items"]]
    assert snapshot(dossier["id"]) == before


def test_stale_version_is_a_conflict(applicant, dossier, snapshot) -> None:
    edited = applicant(
        "PATCH",
        f"/api/v1/dossiers/{dossier['id']}",
        json={"version": dossier["version"], "product_name": "Mật ong rừng"},
    )
    assert edited.status == 200 and edited.body["version"] == dossier["version"] + 1
    before = snapshot(dossier["id"])
    stale = applicant(
        "PATCH",
        f"/api/v1/dossiers/{dossier['id']}",
        json={"version": dossier["version"], "product_name": "Cũ"},
    )
    problem = _problem(stale, 409, "conflict")
    assert problem["current_version"] == edited.body["version"]
    _problem(flows.act(applicant, dossier, "submit"), 409, "conflict")
    assert snapshot(dossier["id"]) == before


def test_malformed_json_and_smuggled_fields(applicant, dossier, snapshot) -> None:
    before = snapshot(dossier["id"])
    broken = applicant(
        "PATCH",
        f"/api/v1/dossiers/{dossier['id']}",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    assert (
        _problem(broken, 400, "malformed-request")["detail"]
        == "The request body is not valid JSON."
    )
    for field, value in (
        ("status", "accepted"),
        ("product_code", "45-19333-001-2026"),
        ("producer_id", dossier["producer_id"]),
        ("star", 5),
    ):
        reply = applicant(
            "PATCH",
            f"/api/v1/dossiers/{dossier['id']}",
            json={"version": dossier["version"], field: value},
        )
        assert _problem(reply, 422, "validation-error")["errors"] == {field: ["Unknown field."]}
    assert snapshot(dossier["id"]) == before


def test_documents_refused_in_the_wrong_state(applicant, dossier, snapshot) -> None:
    submitted = flows.act(applicant, dossier, "submit").body
    before = snapshot(dossier["id"])
    _problem(flows.upload(applicant, submitted["id"], "award"), 409, "transition-not-allowed")
    disguised = flows.upload(
        applicant, dossier["id"], "award", "bao-cao.pdf", b"MZ\x90\x00" + b"\x00" * 60
    )
    assert disguised.status in (409, 415)
    assert snapshot(dossier["id"]) == before


def test_racing_transitions_only_one_wins(
    registration_app, applicant, dossier, commune_officer, registration
) -> None:
    submitted = flows.act(applicant, dossier, "submit").body
    results: list[int] = []
    lock = threading.Lock()

    def accept() -> None:
        call = flows.flask_transport(registration_app.test_client())
        reply = call(
            "POST",
            f"/api/v1/dossiers/{dossier['id']}/accept",
            token=commune_officer.token,
            json={"version": submitted["version"]},
        )
        with lock:
            results.append(reply.status)

    def withdraw() -> None:
        call = flows.flask_transport(registration_app.test_client())
        reply = call(
            "POST",
            f"/api/v1/dossiers/{dossier['id']}/withdraw",
            token=applicant.token,
            json={"version": submitted["version"]},
        )
        with lock:
            results.append(reply.status)

    threads = [threading.Thread(target=accept if i % 2 else withdraw) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results).count(200) == 1, results
    assert set(results) <= {200, 409}
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.type, o.envelope)).all()
    decisions = [
        r.type
        for r in rows
        if r.envelope.get("dossier_id") == dossier["id"]
        and r.type in ("dossier.accepted", "dossier.withdrawn")
    ]
    assert len(decisions) == 1
