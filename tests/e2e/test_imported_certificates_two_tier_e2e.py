"""Adopting the platform today, over real processes: a deployment filing on the 2025 map (the
two-tier regime, Decision 26/2026) imports a province's file of certificates recognised on the
old one, and the operator loads the map of the 2025 merger. The producer, recorded in Phường 1,
claims its account and files the re-evaluation of its district's 3★; the dossier is filed in
Phường Đông Hà, which Phường 1 merged into, whose officer takes it in and proposes it; the
2025 province's council scores it 3★, the province's chair recognises it, and the new
certificate supersedes the imported one, whose authority stays the district that recognised it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from services.evaluation.runtime import Evaluation
from services.registration.runtime import Registration
from shared.rubrics import load_rubric
from shared.units.merger import sample_path
from tests.e2e import imported, national_climb
from tests.e2e.stack import CASE_PROCESSES, Stack
from tests.support import councils as kit
from tests.support import flows, merger
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROCESSES = CASE_PROCESSES
in_regime = national_climb.regime("two-tier")


@pytest.fixture(scope="module", autouse=True)
def no_map_left_behind() -> Iterator[None]:
    """Other suites answer by the units records were filed in: the map goes afterwards."""
    yield
    registration, evaluation = Registration(), Evaluation()
    try:
        merger.forget(registration, evaluation)
    finally:
        registration.close()
        evaluation.close()


def _load_the_map(stack: Stack) -> None:
    """``ocop units map`` with the shipped sample, as the deployment's operator runs it; done
    once evaluation has it too (its worker takes ``units.map_loaded`` from the broker)."""
    stack.ocop("units", "map", str(sample_path()))
    evaluation = Evaluation()
    try:
        eventually(lambda: merger.successors(evaluation), lambda m: m.get("19333") == "19333")
    finally:
        evaluation.close()


def test_a_district_certificate_of_the_old_map_is_renewed_by_the_2025_province(
    stack: Stack, tmp_path: Path
) -> None:
    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    tag = uuid.uuid4().hex[:8]
    path, honey, _tea = imported.province_file(tmp_path, tag)
    imported.run_import(stack, path)
    _load_the_map(stack)
    old_number = honey["certificate_number"]
    checked = eventually(
        lambda: ecall("GET", f"/api/v1/certificates/{old_number}"), lambda r: r.status == 200
    )
    assert (checked.body["level"], checked.body["authority_unit"]) == (
        "district",
        "pre2025:district:461",
    )

    # The producer, recorded in Phường 1, files its re-evaluation in Phường Đông Hà.
    owner = imported.claim(rcall, honey["producer_email"])
    producer, submitted = imported.file_reevaluation(owner, honey["producer_name"], old_number)
    assert (producer["unit_tree"], producer["commune_code"]) == ("pre2025", "19333")
    assert (submitted["regime"], submitted["unit_tree"], submitted["commune_code"]) == (
        "two-tier",
        "2025",
        "19333",
    )
    dossier_id = submitted["id"]
    officer = flows.create_official(admin, ["commune_officer"], merger.NEW_COMMUNE).on(ecall)
    accepted = flows.act(officer.on(rcall), submitted, "accept")
    assert accepted.status == 200, accepted.body

    # The commune proposes it; the 2025 province's council scores 3★; its chair recognises it.
    case = eventually(
        lambda: officer("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200
    )
    assert (case.body["stage"], case.body["registration_type"]) == (
        "commune_review",
        "re_evaluation",
    )
    kit.propose(officer, dossier_id)
    province = merger.NEW_PROVINCE
    secretariat = flows.create_official(admin, ["secretariat"], province).on(ecall)
    chair = flows.create_official(admin, ["decision_authority"], province).on(ecall)
    people = [flows.create_official(admin, ["council_member"], province).on(ecall) for _ in "12345"]
    council_id = kit.seat_over_api(
        secretariat, people, name="Hội đồng OCOP tỉnh Quảng Trị", level="province", unit=province
    )
    opened = kit.assign(secretariat, dossier_id, council_id)
    assert opened.status == 201, opened.body
    sheet = load_rubric().sheet(imported.SET_CODE)
    totals = [60, 62, 61, 63]
    kit.score(people, opened.body["id"], [answers_for(t, marks=3, sheet=sheet) for t in totals])
    assert kit.finalise(people[1], opened.body["id"]).status == 200
    waiting = chair("GET", f"/api/v1/cases/{dossier_id}").body
    assert (waiting["stage"], waiting["level"], waiting["pending_rank"]) == (
        "awaiting_decision",
        "province",
        3,
    )
    today = datetime.now(imported.VIETNAM).date()
    decision = kit.decide(
        chair, dossier_id, waiting["version"], today, decision_number="91/QĐ-UBND"
    )
    assert decision.status == 201, decision.body
    new = decision.body["certificate"]
    assert (new["level"], new["authority_unit"], new["star_rank"]) == ("province", province, 3)

    # The new certificate supersedes the imported one, which keeps its district's authority.
    old_now = ecall("GET", f"/api/v1/certificates/{old_number}").body
    assert (old_now["status"], old_now["superseded_by"]) == ("superseded", new["number"])
    assert old_now["authority_unit"] == "pre2025:district:461"
    eventually(
        lambda: owner("GET", f"/api/v1/dossiers/{dossier_id}").body,
        lambda d: (d.get("public_status") or "").startswith("recognised 3"),
    )
