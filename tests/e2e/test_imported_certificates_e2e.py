"""Certificates issued before the platform, over real processes: a province's small file (CSV)
imported with ``ocop import certificates FILE --apply``; the relay and the evaluation worker
carry each ``certificate.imported``; anyone checks the numbers; the producer's account, created
by the import without a password, is claimed through "forgot password" and its link; in its
re-evaluation window the producer files a re-evaluation of the imported certificate, the
commune proposes it, the district council scores it 3★, the district chair decides, and the new
certificate supersedes the imported one — in evaluation and in registration's read model."""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path

import pytest

from shared.rubrics import load_rubric
from tests.e2e import imported
from tests.e2e.stack import CASE_PROCESSES, Stack
from tests.support import councils as kit
from tests.support import flows
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROCESSES = CASE_PROCESSES
SET_CODE = imported.SET_CODE
DISTRICT = "pre2025:district:461"  # Đông Hà, which holds commune 19333
VIETNAM = imported.VIETNAM


def _council(
    secretariat: flows.Actor, admin: flows.Actor, ecall: flows.Transport
) -> tuple[str, list[flows.Actor]]:
    """A district council of five new officials, seated over the API."""
    people = [
        flows.create_official(admin, ["council_member"], DISTRICT).on(ecall) for _ in range(5)
    ]
    seated = kit.seat_over_api(
        secretariat, people, name="Hội đồng OCOP huyện", level="district", unit=DISTRICT
    )
    return seated, people


def test_an_imported_certificate_is_checked_and_superseded_by_its_reevaluation(
    stack: Stack, tmp_path: Path
) -> None:
    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    tag = uuid.uuid4().hex[:8]
    path, honey, tea = imported.province_file(tmp_path, tag)

    # The operator imports the province's file; the certificates can be checked publicly.
    imported.run_import(stack, path)
    old_number = honey["certificate_number"]
    checked = eventually(
        lambda: ecall("GET", f"/api/v1/certificates/{old_number}"), lambda r: r.status == 200
    )
    assert (checked.body["status"], checked.body["star_rank"]) == ("valid", 3)
    assert (checked.body["imported"], checked.body["level"]) == (True, "district")
    assert checked.body["decision_number"] == honey["decision_number"]
    revoked = eventually(
        lambda: ecall("GET", f"/api/v1/certificates/{tea['certificate_number']}"),
        lambda r: r.status == 200,
    )
    assert (revoked.body["status"], revoked.body["revoked_on"]) == ("revoked", "2025-11-20")
    # The public register finds the valid one by a word of its name (without its accents) in
    # its commune; the revoked one only when revoked ones are asked for.
    search = f"/api/v1/register?q=ca+phe+{tag}&commune=pre2025:commune:19333"
    listed = ecall("GET", search).body["items"]
    assert [(e["number"], e["star_rank"], e["status"]) for e in listed] == [
        (old_number, 3, "valid")
    ]
    assert ecall("GET", f"/api/v1/register?q={tag}").body["items"] == listed
    revoked_listed = ecall("GET", f"/api/v1/register?q={tag}&status=revoked").body["items"]
    assert [e["number"] for e in revoked_listed] == [tea["certificate_number"]]
    # The same file again changes nothing (and still succeeds).
    imported.run_import(stack, path)

    # The producer claims its account and files a re-evaluation in the window.
    owner = imported.claim(rcall, honey["producer_email"])
    producer, submitted = imported.file_reevaluation(owner, honey["producer_name"], old_number)
    dossier_id = submitted["id"]
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE).on(ecall)
    accepted = flows.act(officer.on(rcall), submitted, "accept")
    assert accepted.status == 200, accepted.body

    # Evaluation: the commune proposes, the district council scores 3★, the chair decides.
    case = eventually(
        lambda: officer("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200
    )
    assert case.body["stage"] == "commune_review"
    kit.propose(officer, dossier_id)
    secretariat = flows.create_official(admin, ["secretariat"], DISTRICT).on(ecall)
    chair = flows.create_official(admin, ["decision_authority"], DISTRICT).on(ecall)
    council_id, members = _council(secretariat, admin, ecall)
    opened = kit.assign(secretariat, dossier_id, council_id)
    assert opened.status == 201, opened.body
    evaluation_id = opened.body["id"]
    sheet = load_rubric().sheet(SET_CODE)
    totals = [60, 62, 61, 63]
    kit.score(members, evaluation_id, [answers_for(t, marks=3, sheet=sheet) for t in totals])
    assert kit.finalise(members[1], evaluation_id).status == 200
    waiting = chair("GET", f"/api/v1/cases/{dossier_id}").body
    assert (waiting["stage"], waiting["level"], waiting["pending_rank"]) == (
        "awaiting_decision",
        "district",
        3,
    )
    today = datetime.now(VIETNAM).date()
    decision = kit.decide(
        chair, dossier_id, waiting["version"], today, decision_number="88/QĐ-UBND"
    )
    assert decision.status == 201, decision.body
    new_number = decision.body["certificate"]["number"]

    # The new certificate supersedes the imported one, for anyone checking either number …
    old_now = ecall("GET", f"/api/v1/certificates/{old_number}").body
    assert (old_now["status"], old_now["superseded_by"]) == ("superseded", new_number)
    new_now = ecall("GET", f"/api/v1/certificates/{new_number}").body
    assert (new_now["status"], new_now["imported"]) == ("valid", False)
    # The register now lists the new certificate for the product, the old one as superseded.
    listed = ecall("GET", f"/api/v1/register?q=ca+phe+{tag}&status=all").body["items"]
    assert {(e["number"], e["status"]) for e in listed} == {
        (old_number, "superseded"),
        (new_number, "valid"),
    }
    # … and in registration, where the old number can no longer be named.
    eventually(
        lambda: owner("GET", f"/api/v1/dossiers/{dossier_id}").body,
        lambda d: (d.get("public_status") or "").startswith("recognised 3"),
    )
    body = flows.dossier_body(producer["id"], SET_CODE) | {
        "registration_type": "re_evaluation",
        "certificate_number": old_number,
    }
    again = owner("POST", "/api/v1/dossiers", json=body)
    assert again.status == 422, again.body
    assert again.body["field_params"]["certificate_number"]["certificate_status"] == "superseded"
