"""An accepted dossier becomes a case at the commune review; cases are listed and read within
reach."""

from __future__ import annotations

import copy
import uuid

from sqlalchemy import select

from services.evaluation import models
from services.evaluation.service import cases
from shared.events import EventError
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import accepted_dossier, deliver


def test_accepted_dossier_opens_the_commune_review_once(
    registration, evaluation, owner, commune_officer
) -> None:
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    with evaluation.db.reader() as session:
        case = session.get(models.Case, uuid.UUID(dossier["id"]))
        assert case is not None
        assert (case.level, case.stage, case.pending_rank) == ("commune", "commune_review", None)
        assert case.product_code == dossier["product_code"]
        assert case.self_assessment == dossier["self_assessment"]
        assert case.regime == "four-level" and case.district_code == "461"
    opened = kit.events(evaluation, dossier["id"], "evaluation.opened")
    assert len(opened) == 1
    payload = opened[0]["payload"]
    assert payload["level"] == "commune" and payload["evaluation_id"] is None
    assert payload["product_code"] == dossier["product_code"]

    # Delivered again (a redelivery): the inbox drops every event, nothing changes.
    before = kit.snapshot(evaluation, dossier["id"])
    assert deliver(registration, evaluation, dossier["id"]) == 0
    assert kit.snapshot(evaluation, dossier["id"]) == before


def _outbox_of(registration, dossier_id: str) -> list[dict]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.envelope).order_by(o.id)).scalars()
        return [e for e in rows if e.get("dossier_id") == dossier_id]


def test_a_batch_of_acceptances_opens_each_case_once(
    registration, evaluation, call, commune_officer
) -> None:
    """Acceptances and documents come in one batch, as from a backlog; the evaluation worker
    writes them many at a time (bulk handlers) and must still open each case exactly once."""
    dossiers = [accepted_dossier(call, commune_officer)[1] for _ in range(3)]
    envelopes = [e for d in dossiers for e in _outbox_of(registration, d["id"])]
    first_acceptance = next(
        e
        for e in envelopes
        if e["type"] == "dossier.accepted" and e["dossier_id"] == dossiers[0]["id"]
    )
    # Another acceptance of the first dossier, not a redelivery (a new event id), in the same
    # batch: the case is at the commune review already, so nothing is new.
    again = copy.deepcopy(first_acceptance) | {"event_id": str(uuid.uuid4())}
    # What evaluation does not read cannot make it fail (the producer checked all of it).
    for e in envelopes:
        if e["type"] == "dossier.accepted" and e["dossier_id"] == dossiers[2]["id"]:
            e["payload"]["form01"] = "not the Form 01 block"

    outcomes = evaluation.inbox().consume_batch([*envelopes, again])

    assert "handled" in outcomes and not any(isinstance(o, Exception) for o in outcomes)
    for dossier in dossiers:
        with evaluation.db.reader() as session:
            case = session.get(models.Case, uuid.UUID(dossier["id"]))
            assert case is not None and case.stage == "commune_review"
            assert case.self_assessment == dossier["self_assessment"]
            hashes = cases.latest_document_hashes(session, case.dossier_id)
        assert list(hashes.values()) == [kit.PDF_SHA256]
        assert len(kit.events(evaluation, dossier["id"], "evaluation.opened")) == 1

    # What it reads is checked: a malformed dossier id is poison, and nothing is written.
    broken = copy.deepcopy(first_acceptance) | {"event_id": str(uuid.uuid4())}
    broken["payload"]["dossier_id"] = "not-a-uuid"
    before = kit.snapshot(evaluation)
    (outcome,) = evaluation.inbox().consume_batch([broken])
    assert isinstance(outcome, EventError)
    assert kit.snapshot(evaluation) == before


def test_the_case_keeps_each_documents_sha256(registration, evaluation, owner, commune_officer):
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    with evaluation.db.reader() as session:
        from services.evaluation.service import cases

        hashes = cases.latest_document_hashes(session, uuid.UUID(dossier["id"]))
    assert list(hashes.values()) == [kit.PDF_SHA256]


def test_cases_listed_and_read_within_reach(
    registration, evaluation, admin, eval_call, owner, officer, commune_officer
) -> None:
    first = kit.accepted_case(registration, evaluation, owner, commune_officer)
    second = kit.accepted_case(registration, evaluation, owner, commune_officer)

    listing = officer("GET", "/api/v1/cases?stage=commune_review&limit=200")
    assert listing.status == 200, listing.body
    ids = [c["dossier_id"] for c in listing.body["items"]]
    assert first["id"] in ids and second["id"] in ids
    assert ids.index(second["id"]) < ids.index(first["id"])  # newest first

    # Keyset pages: one at a time, each page's cursor leads to the next.
    page1 = officer("GET", "/api/v1/cases?stage=commune_review&limit=1")
    assert len(page1.body["items"]) == 1 and page1.body["next"]
    page2 = officer("GET", f"/api/v1/cases?stage=commune_review&limit=1&after={page1.body['next']}")
    assert page2.body["items"][0]["dossier_id"] < page1.body["items"][0]["dossier_id"]

    # Filters: nothing of this commune is at the district yet.
    district = officer("GET", "/api/v1/cases?level=district&limit=200")
    assert first["id"] not in [c["dossier_id"] for c in district.body["items"]]

    detail = officer("GET", f"/api/v1/cases/{first['id']}")
    assert detail.status == 200, detail.body
    body = detail.body
    assert (body["level"], body["stage"], body["pending_rank"]) == (
        "commune",
        "commune_review",
        None,
    )
    assert body["evaluations"] == [] and body["commune_review"] is None
    assert body["product_name"] == first["product_name"]

    # The owner reads its own case; another applicant and another commune's officer do not.
    mine = kit.on_evaluation(eval_call, owner)("GET", f"/api/v1/cases/{first['id']}")
    assert mine.status == 200 and mine.body["dossier_id"] == first["id"]
    stranger = kit.on_evaluation(eval_call, kit.applicant(owner.call))
    elsewhere = kit.official(admin, eval_call, ["commune_officer"], flows.OTHER_COMMUNE)
    far = kit.official(admin, eval_call, ["secretariat"], kit.OTHER_PROVINCE)
    for outsider in (stranger, elsewhere, far):
        reply = outsider("GET", f"/api/v1/cases/{first['id']}")
        assert reply.status == 404, reply.body
        assert reply.headers["Content-Type"] == "application/problem+json"
        assert first["product_name"] not in str(reply.body)
        listed = outsider("GET", "/api/v1/cases?limit=200")
        assert first["id"] not in [c["dossier_id"] for c in listed.body["items"]]

    # The district's and the province's officials reach it.
    for unit in (kit.DISTRICT, kit.PROVINCE):
        above = kit.official(admin, eval_call, ["auditor"], unit)
        assert above("GET", f"/api/v1/cases/{first['id']}").status == 200


def test_missing_case_and_bad_filters(officer, eval_call) -> None:
    missing = officer("GET", f"/api/v1/cases/{uuid.uuid4()}")
    assert missing.status == 404 and missing.body["type"] == "urn:ocop:problem:not-found"
    bad = officer("GET", "/api/v1/cases?stage=scoring")
    assert bad.status == 422 and "stage" in str(bad.body["errors"])
    assert officer("GET", "/api/v1/cases?limit=0").status == 422
    assert eval_call("GET", "/api/v1/cases").status == 401
