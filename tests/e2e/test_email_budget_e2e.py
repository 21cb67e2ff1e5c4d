"""The per-case email budget (issue 14, ADR 0009): one district case driven over HTTP between
real processes (a return for supplement, the resubmission, acceptance, the commune review, a
council of five with one conflicted member, the district authority's recognition, the
certificate and its revocation), then the SMTP sink read. Everyone on the case gets exactly the
messages the people-on-a-case rules give them, nobody gets one twice, and the officials around
the case who are not on it (a second officer of the commune, once the dossier is taken, an
unseated member, another district's and the province's offices) get nothing but the one
office-wide message of a new submission to the commune's queue.

The case lives in Cần Thơ (province 92, Quận Ninh Kiều 916, Phường Cái Khế 31117), where no
other test has officials.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest

from shared.rubrics import load_rubric
from tests.e2e.stack import Stack
from tests.e2e.test_notification_flow_e2e import (  # noqa: F401 - fixtures used by name
    VIETNAM,
    sink,
    stack,
)
from tests.support import councils as kit
from tests.support import flows, mailbox
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROVINCE, DISTRICT, COMMUNE = "pre2025:province:92", "pre2025:district:916", "pre2025:commune:31117"
OTHER_DISTRICT = "pre2025:district:917"


def test_a_district_case_writes_only_to_the_people_on_it(stack: Stack, sink) -> None:  # noqa: F811
    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")

    def official(role: str, unit: str) -> flows.Actor:
        return flows.create_official(admin, [role], unit).on(ecall)

    applicant = flows.register(rcall, "applicant")
    handler = official("commune_officer", COMMUNE)
    peer = official("commune_officer", COMMUNE)
    secretariat = official("secretariat", DISTRICT)
    authority = official("decision_authority", DISTRICT)
    members = [official("council_member", DISTRICT) for _ in range(5)]
    unseated = official("council_member", DISTRICT)
    bystanders = [
        official("secretariat", PROVINCE),
        official("decision_authority", PROVINCE),
        official("secretariat", OTHER_DISTRICT),
        official("decision_authority", OTHER_DISTRICT),
    ]

    # Intake: submitted to the commune's queue, returned by the officer who takes it, then
    # resubmitted and accepted by that officer.
    producer = flows.create_producer(applicant, COMMUNE)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    returned = flows.act(
        handler.on(rcall),
        submitted.body,
        "return",
        missing_items=[{"item": "test_report", "note": "Thiếu phiếu kiểm nghiệm"}],
        reason="Bổ sung hồ sơ",
    )
    assert returned.status == 200, returned.body
    assert returned.body["handler_account_id"] == handler.account["id"]
    # Taken: the other officer of the commune no longer sees it.
    assert peer.on(rcall)("GET", f"/api/v1/dossiers/{dossier['id']}").status == 404
    resubmitted = flows.act(applicant, returned.body, "resubmit")
    assert resubmitted.status == 200, resubmitted.body
    accepted = flows.act(handler.on(rcall), resubmitted.body, "accept")
    assert accepted.status == 200, accepted.body
    dossier_id = accepted.body["id"]

    # The commune review, then a district council of five; one member declares a conflict.
    eventually(lambda: handler("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200)
    kit.propose(handler, dossier_id)
    council_id = kit.seat_over_api(
        secretariat, members, name="Hội đồng OCOP quận Ninh Kiều", level="district", unit=DISTRICT
    )
    opened = kit.assign(secretariat, dossier_id, council_id)
    assert opened.status == 201, opened.body
    evaluation_id = opened.body["id"]
    conflicted = members[4]
    assert kit.declare(conflicted, evaluation_id, conflicted=True, reason="Người nhà").status == 201
    assert conflicted("GET", f"/api/v1/evaluations/{evaluation_id}").status == 404
    assert conflicted("GET", f"/api/v1/cases/{dossier_id}").status == 404
    assert unseated("GET", f"/api/v1/cases/{dossier_id}").status == 404
    sheet = load_rubric().sheet("04")
    totals = (58, 60, 61, 59)
    kit.score(members, evaluation_id, [answers_for(t, marks=3, sheet=sheet) for t in totals])
    assert kit.finalise(members[0], evaluation_id).status == 200

    # The district authority recognises 3 stars, then revokes the certificate.
    waiting = eventually(
        lambda: authority("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200
    ).body
    assert (waiting["stage"], waiting["pending_rank"]) == ("awaiting_decision", 3)
    today = datetime.now(VIETNAM).date().isoformat()
    decision = authority(
        "POST",
        f"/api/v1/cases/{dossier_id}/decisions",
        json={"decision_number": "77/QĐ-UBND", "decided_on": today, "version": waiting["version"]},
    )
    assert decision.status == 201, decision.body
    number = decision.body["certificate"]["number"]
    revoked = authority(
        "POST",
        f"/api/v1/certificates/{number}/revocation",
        json={"ground": "mark_misuse", "found_on": today},
    )
    assert revoked.status in (200, 201), revoked.body

    # What each person is owed: event by event, as the rules of ADR 0009 say.
    owed: Counter[str] = Counter()

    def owe(people: list[flows.Actor], count: int) -> None:
        for person in people:
            owed[person.account["email"]] += count

    # submitted, returned, resubmitted, accepted, forwarded to the district, decided,
    # certificate issued, certificate revoked.
    owe([applicant], 8)
    # submitted (the queue), resubmitted, the commune review opened, decided, issued, revoked.
    owe([handler], 6)
    owe([peer], 1)  # the queue's one office-wide message: the new submission
    owe([secretariat], 1)  # a case awaiting a council at its level
    owe([authority], 1)  # its decision is awaited
    owe(members[:4], 4)  # the seat, the evaluation opened, awaiting the decision, decided
    owe([conflicted], 2)  # the seat and the evaluation opened; nothing after the declaration
    everyone = [applicant, handler, peer, secretariat, authority, *members, unseated, *bystanders]
    addresses = {p.account["email"] for p in everyone}

    def fetch() -> list[mailbox.Mail]:
        return [m for m in mailbox.read(sink.store.directory) if addresses & set(m.rcpt_tos)]

    def complete(mails: list[mailbox.Mail]) -> bool:
        got = Counter(a for m in mails for a in m.rcpt_tos)
        return all(got[a] >= n for a, n in owed.items())

    mails = mailbox.settle(fetch, complete, timeout=90)
    received = Counter(a for m in mails for a in m.rcpt_tos)
    assert received == owed, (
        f"missing: {owed - received}\nunexpected: {received - owed}\n"
        + "\n".join(f"{m.rcpt_tos} {m.subject}" for m in mails)
    )
    twice = Counter((a, m.subject) for m in mails for a in m.rcpt_tos)
    assert {k: n for k, n in twice.items() if n > 1} == {}, "someone got the same message twice"
    # The whole budget of this case: 35 emails to 13 people (before ADR 0009, a case like it
    # wrote about 80 to 39, every officer of the commune and of the district included).
    assert sum(owed.values()) == 35
