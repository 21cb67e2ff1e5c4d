"""Form 02 as councils need it (issue 15.6): a document names the criteria it is evidence for
(checked against the dossier's sheet), and the dossier answers its self-assessment's total,
parts and star rank as the council sheets' scorer computes them."""

from __future__ import annotations

from typing import Any

from tests.support import flows


def _documents(actor: flows.Actor, dossier_id: str) -> dict[str, dict[str, Any]]:
    reply = actor("GET", f"/api/v1/dossiers/{dossier_id}/documents")
    assert reply.status == 200, reply.body
    return {d["kind"]: d for d in reply.body["items"]}


def _upload(actor: flows.Actor, dossier_id: str, kind: str, criteria: list[str]) -> flows.Reply:
    return actor(
        "POST",
        f"/api/v1/dossiers/{dossier_id}/documents",
        data={"kind": kind, "criteria": criteria},
        files={"file": ("phieu-kiem-nghiem.pdf", flows.PDF, "application/pdf")},
    )


def test_a_document_names_the_criteria_it_is_evidence_for(call: flows.Transport) -> None:
    applicant = flows.register(call, "applicant")
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"])
    path = f"/api/v1/dossiers/{dossier['id']}/documents"

    # Named at upload (a repeated field), kept in sheet order, each once.
    reply = _upload(applicant, dossier["id"], "test_report", ["2.1", "1.3", "2.1"])
    assert reply.status == 201, reply.body
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    documents = _documents(applicant, dossier["id"])
    assert documents["test_report"]["criteria"] == ["1.3", "2.1"]
    assert documents["business_registration"]["criteria"] == []
    # By kind, a page at a time (one page holds a dossier's by default).
    first = applicant("GET", f"{path}?limit=1").body
    assert [d["kind"] for d in first["items"]] == ["business_registration"]
    rest = applicant("GET", f"{path}?limit=1&after={first['next']}").body
    assert ([d["kind"] for d in rest["items"]], rest["next"]) == (["test_report"], None)

    # A criterion the sheet lacks: 422 with its code, naming it; nothing stored.
    reply = _upload(applicant, dossier["id"], "test_report", ["1.3", "9.9"])
    assert reply.status == 422, reply.body
    assert reply.body["code"] == "request.invalid"
    assert reply.body["errors"]["criteria"] == [
        "Criterion 9.9 is not on the score sheet of product set 04."
    ]
    assert _documents(applicant, dossier["id"])["test_report"]["latest_version"] == 1

    # Picked later for an uploaded document (the self-assessment page); empty names none.
    document_id = documents["business_registration"]["id"]
    reply = applicant("PATCH", f"{path}/{document_id}", json={"criteria": ["1.1", "1.2"]})
    assert reply.status == 200, reply.body
    assert reply.body["criteria"] == ["1.1", "1.2"]
    reply = applicant("PATCH", f"{path}/{document_id}", json={"criteria": ["x"]})
    assert reply.status == 422 and "criteria" in reply.body["errors"]
    reply = applicant("PATCH", f"{path}/{document_id}", json={"criteria": []})
    assert reply.status == 200 and reply.body["criteria"] == []

    # Once submitted, the evidence is what the commune received: not renamed.
    submitted = flows.act(applicant, dossier | {"version": _version(applicant, dossier)}, "submit")
    assert submitted.status == 200, submitted.body
    reply = applicant("PATCH", f"{path}/{document_id}", json={"criteria": ["1.1"]})
    assert reply.status == 409, reply.body
    # Nobody else names a producer's evidence.
    stranger = flows.register(call, "applicant")
    reply = stranger("PATCH", f"{path}/{document_id}", json={"criteria": ["1.1"]})
    assert reply.status == 404, reply.body


def _version(actor: flows.Actor, dossier: dict[str, Any]) -> int:
    return actor("GET", f"/api/v1/dossiers/{dossier['id']}").body["version"]


def test_the_self_assessment_total_parts_and_star_rank(call: flows.Transport) -> None:
    applicant = flows.register(call, "applicant")
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"])
    # The best answer everywhere on set 04's sheet (5.2 needs no more than 5.1 allows): 99.
    assert dossier["self_assessment_score"] == {
        "total": 99,
        "parts": {"A": 39, "B": 25, "C": 35},
        "band": 5,
        "star_rank": 5,
        "holding_back": [],
        "missing": [],
    }
    # 1.3 at b (2 of 3 points) misses its 5-star mark: 98 points, still the 5-star band, but
    # ranked 4 stars, held back by 1.3; 1.1 left out counts 0 and is missing.
    answers = dict(dossier["self_assessment"], **{"1.3": "b"})
    del answers["1.1"]
    reply = applicant(
        "PATCH",
        f"/api/v1/dossiers/{dossier['id']}",
        json={"version": dossier["version"], "self_assessment": answers},
    )
    assert reply.status == 200, reply.body
    assert reply.body["self_assessment_score"] == {
        "total": 95,
        "parts": {"A": 35, "B": 25, "C": 35},
        "band": 5,
        "star_rank": 4,
        "holding_back": ["1.3"],
        "missing": ["1.1"],
    }
    listed = applicant(
        "GET", "/api/v1/dossiers", query_string={"producer_id": dossier["producer_id"]}
    )
    assert listed.body["items"][0]["self_assessment_score"]["total"] == 95
