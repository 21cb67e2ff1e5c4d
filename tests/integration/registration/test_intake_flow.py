"""The intake flow through the API, into the database, out through the broker."""

from __future__ import annotations

import re

from sqlalchemy import select

from shared.messaging import topology
from tests.support import flows
from tests.support.broker import drain


def _outbox_types(registration, dossier_id: str) -> list[str]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(select(o.type, o.envelope).order_by(o.id)).all()
    return [r.type for r in rows if r.envelope.get("dossier_id") == dossier_id]


def test_applicant_files_commune_returns_applicant_supplies_commune_accepts(
    registration, call, commune_officer, env
) -> None:
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert dossier["status"] == "draft" and dossier["product_code"] is None
    assert dossier["form01"]["representative"]["gender"] == "female"

    up = flows.upload(applicant, dossier["id"], "business_registration")
    assert up.status == 201, up.body
    assert re.fullmatch(r"[0-9a-f]{64}", up.body["sha256"])

    submitted = flows.act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    assert submitted.body["status"] == "submitted"

    # The commune sees it in its queue and returns it, listing what is missing.
    queue = commune_officer("GET", "/api/v1/dossiers?status=submitted&limit=200")
    assert dossier["id"] in [d["id"] for d in queue.body["items"]]
    missing = [{"item": "food_safety_certificate", "note": "Giấy chứng nhận ATTP còn hạn"}]
    returned = flows.act(commune_officer, submitted.body, "return", missing_items=missing)
    assert returned.status == 200, returned.body
    assert returned.body["status"] == "returned"
    assert returned.body["missing_items"] == missing

    # The applicant supplies the document and resubmits.
    up2 = flows.upload(applicant, dossier["id"], "food_safety_certificate", "attp.pdf")
    assert up2.status == 201, up2.body
    resubmitted = flows.act(applicant, returned.body, "resubmit")
    assert resubmitted.status == 200, resubmitted.body
    assert resubmitted.body["missing_items"] == []

    accepted = flows.act(commune_officer, resubmitted.body, "accept")
    assert accepted.status == 200, accepted.body
    code = accepted.body["product_code"]
    assert re.fullmatch(r"45-19333-\d{3}-20\d\d", code), code

    expected = [
        "dossier.document_added",
        "dossier.submitted",
        "dossier.returned",
        "dossier.document_added",
        "dossier.resubmitted",
        "dossier.accepted",
    ]
    assert _outbox_types(registration, dossier["id"]) == expected

    # The relay publishes them; the evaluation service's queue gets each it handles exactly once.
    relay = registration.relay()
    try:
        while relay.publish_pending():
            pass
    finally:
        relay.close()
    heard = [t for t in expected if t in topology.SUBSCRIPTIONS["evaluation"]]
    got = [
        e
        for e in drain(env.broker_url, "evaluation.events", expect=len(heard))
        if e["dossier_id"] == dossier["id"]
    ]
    assert [e["type"] for e in got] == heard
    assert len({e["event_id"] for e in got}) == len(heard)
    accepted_event = got[-1]
    assert accepted_event["payload"]["product_code"] == code
    assert accepted_event["actor"]["role"] == "commune_officer"
    assert accepted_event["payload"]["self_assessment"] == dossier["self_assessment"]


def test_product_codes_count_per_commune(call, commune_officer) -> None:
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    codes = []
    for _ in range(2):
        d = flows.create_dossier(applicant, producer["id"])
        s = flows.act(applicant, d, "submit").body
        codes.append(flows.act(commune_officer, s, "accept").body["product_code"])
    serials = [int(c.split("-")[2]) for c in codes]
    assert serials[1] == serials[0] + 1


def test_consultant_acts_under_own_name(call, commune_officer, registration) -> None:
    applicant = flows.register(call, "applicant")
    consultant = flows.register(call, "consultant")
    producer = flows.create_producer(applicant)
    # Before the grant the consultant cannot see or file for the producer.
    assert consultant("GET", f"/api/v1/producers/{producer['id']}").status == 404
    grant = applicant(
        "POST",
        f"/api/v1/producers/{producer['id']}/consultants",
        json={"email": consultant.account["email"]},
    )
    assert grant.status == 200, grant.body
    dossier = flows.create_dossier(consultant, producer["id"])
    submitted = flows.act(consultant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        envelopes = [
            r.envelope
            for r in conn.execute(select(o.envelope).where(o.type == "dossier.submitted"))
        ]
    mine = [e for e in envelopes if e["dossier_id"] == dossier["id"]]
    assert mine[0]["actor"] == {"user_id": consultant.account["id"], "role": "consultant"}
    assert mine[0]["payload"]["consultant_account_ids"] == [consultant.account["id"]]


def test_withdraw_before_decision(applicant, dossier, commune_officer) -> None:
    submitted = flows.act(applicant, dossier, "submit").body
    withdrawn = flows.act(applicant, submitted, "withdraw", reason="Sản phẩm ngừng sản xuất")
    assert withdrawn.status == 200 and withdrawn.body["status"] == "withdrawn"
    again = flows.act(commune_officer, withdrawn.body, "accept")
    assert again.status == 409
    assert again.body["type"] == "urn:ocop:problem:transition-not-allowed"


def test_listing_is_paginated_and_filtered(applicant, producer) -> None:
    ids = [flows.create_dossier(applicant, producer["id"])["id"] for _ in range(5)]
    seen: list[str] = []
    page = applicant("GET", f"/api/v1/dossiers?producer_id={producer['id']}&limit=2")
    while True:
        assert page.status == 200
        seen += [d["id"] for d in page.body["items"]]
        if not page.body["next"]:
            break
        page = applicant(
            "GET",
            f"/api/v1/dossiers?producer_id={producer['id']}&limit=2&after={page.body['next']}",
        )
    assert seen == list(reversed(ids))  # newest first, every one once
    none = applicant("GET", f"/api/v1/dossiers?producer_id={producer['id']}&status=accepted")
    assert none.body["items"] == []
