"""A whole case over HTTP between real processes: filed and accepted in registration, carried
by relays and workers to evaluation, reviewed by the commune, scored by the district council
(4★: forwarded), scored by the province council (4★: recognised), confirmed by the province
chair, certificate issued, public lookup, and the public status back in registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from shared.rubrics import load_rubric
from tests.e2e.stack import CASE_PROCESSES, Stack
from tests.support import councils as kit
from tests.support import flows
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROCESSES = CASE_PROCESSES
SET_CODE = "04"
# Decisions are dated in Vietnam, where the day may already be tomorrow's (UTC+7).
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def _official(
    admin: flows.Actor, ecall: flows.Transport, roles: list[str], unit: str
) -> flows.Actor:
    """A new official, signed in, acting on the evaluation API."""
    return flows.create_official(admin, roles, unit).on(ecall)


def _council(
    secretariat: flows.Actor, admin: flows.Actor, ecall: flows.Transport, level: str, unit: str
) -> tuple[str, list[flows.Actor]]:
    """A council of five new officials, seated over the API."""
    people = [_official(admin, ecall, ["council_member"], unit) for _ in range(5)]
    name = f"Hội đồng OCOP {level}"
    return kit.seat_over_api(secretariat, people, name=name, level=level, unit=unit), people


def _score(people: list[flows.Actor], evaluation_id: str, totals: list[int]) -> None:
    sheet = load_rubric().sheet(SET_CODE)
    kit.score(people, evaluation_id, [answers_for(t, marks=4, sheet=sheet) for t in totals])


@dataclass
class Climb:
    """A case taken over the APIs from filing to a province 4★ certificate, and who took it."""

    admin: flows.Actor
    officer: flows.Actor
    district_office: flows.Actor
    province_office: flows.Actor
    province_chair: flows.Actor
    applicant: flows.Actor
    district_council: tuple[str, list[flows.Actor]]
    province_council: tuple[str, list[flows.Actor]]
    evaluations: tuple[str, str]  # the district's, the province's
    dossier_id: str
    certificate: dict[str, Any]  # as the public check answers it


def climb(stack: Stack) -> Climb:
    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    officer = _official(admin, ecall, ["commune_officer"], flows.COMMUNE)
    district_office = _official(admin, ecall, ["secretariat"], "pre2025:district:461")
    province_office = _official(admin, ecall, ["secretariat"], "pre2025:province:45")
    province_chair = _official(admin, ecall, ["decision_authority"], "pre2025:province:45")

    # Registration: filed, submitted, accepted.
    applicant = flows.register(rcall, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.accepted_dossier(applicant, officer.on(rcall), producer["id"], SET_CODE)
    dossier_id = dossier["id"]

    # The relay and the evaluation worker open the commune review.
    case = eventually(
        lambda: officer("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200
    )
    assert case.body["stage"] == "commune_review"
    kit.propose(officer, dossier_id)

    # District council: a 4★ result goes up to the province.
    d_id, d_people = _council(district_office, admin, ecall, "district", "pre2025:district:461")
    opened = kit.assign(district_office, dossier_id, d_id)
    assert opened.status == 201, opened.body
    d_evaluation = opened.body["id"]
    _score(d_people, d_evaluation, [78, 80, 82, 79])
    closed = kit.finalise(d_people[0], d_evaluation)
    assert closed.status == 200, closed.body
    at_province = officer("GET", f"/api/v1/cases/{dossier_id}").body
    assert (at_province["level"], at_province["stage"]) == ("province", "awaiting_assignment")

    # Province council: 4★ is the province's own to recognise.
    p_id, p_people = _council(province_office, admin, ecall, "province", "pre2025:province:45")
    opened = kit.assign(province_office, dossier_id, p_id)
    assert opened.status == 201, opened.body
    p_evaluation = opened.body["id"]
    _score(p_people, p_evaluation, [84, 86, 85, 83])  # quorum: 4 of 5
    assert kit.finalise(p_people[1], p_evaluation).status == 200
    waiting = province_chair("GET", f"/api/v1/cases/{dossier_id}").body
    assert (waiting["stage"], waiting["pending_rank"]) == ("awaiting_decision", 4)

    # The province chair confirms; the certificate is public.
    decision = province_chair(
        "POST",
        f"/api/v1/cases/{dossier_id}/decisions",
        json={
            "decision_number": "1234/QĐ-UBND",
            "decided_on": datetime.now(VIETNAM).date().isoformat(),
            "version": waiting["version"],
        },
    )
    assert decision.status == 201, decision.body
    number = decision.body["certificate"]["number"]
    public = ecall("GET", f"/api/v1/certificates/{number}")
    assert public.status == 200
    assert (public.body["star_rank"], public.body["status"]) == (4, "valid")
    return Climb(
        admin,
        officer,
        district_office,
        province_office,
        province_chair,
        applicant,
        (d_id, d_people),
        (p_id, p_people),
        (d_evaluation, p_evaluation),
        dossier_id,
        public.body,
    )


def test_a_case_climbs_to_a_province_certificate(stack: Stack) -> None:
    case = climb(stack)
    rcall = flows.http_transport(stack.urls["registration"])
    admin, applicant, dossier_id = case.admin, case.applicant, case.dossier_id
    public = case.certificate

    # Back in registration, the evaluation's events have set the public status.
    status = eventually(
        lambda: applicant("GET", f"/api/v1/dossiers/{dossier_id}").body,
        lambda d: (d.get("public_status") or "").startswith("recognised 4"),
    )
    assert public["expires_on"] in status["public_status"]

    # The case file, kept by registration from every service's events, exports and verifies
    # offline with nothing but the archive and the published key.
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    history = eventually(
        lambda: auditor("GET", f"/api/v1/dossiers/{dossier_id}/history?limit=200").body,
        lambda page: "certificate.issued" in {e["kind"] for e in page.get("items", [])},
    )
    producers = {e["producer"] for e in history["items"]}
    assert {"registration", "evaluation"} <= producers, producers
    kinds = [e["kind"] for e in history["items"]]
    assert kinds.count("evaluation.sheet_submitted") == 8  # four members at each council
    archive = auditor("GET", f"/api/v1/dossiers/{dossier_id}/case-file")
    assert archive.status == 200, archive.body
    (key,) = rcall("GET", "/api/v1/ledger/keys").body["keys"]
    _verify_offline(stack, archive.body, key["public_key_pem"])


def _verify_offline(stack: Stack, archive: bytes, public_key_pem: str) -> None:
    """``python -m shared.ledger`` in a bare environment: the archive passes, and the same
    archive with one byte of one entry changed does not."""
    import io
    import subprocess
    import sys
    import zipfile

    folder = stack.log_dir
    (folder / "ledger.pem").write_text(public_key_pem)

    def verdict(data: bytes) -> subprocess.CompletedProcess[str]:
        path = folder / "case.zip"
        path.write_bytes(data)
        return subprocess.run(
            [sys.executable, "-m", "shared.ledger", str(path), "--key", str(folder / "ledger.pem")],
            capture_output=True,
            text=True,
            env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).parents[2])},
            timeout=60,
        )

    good = verdict(archive)
    assert good.returncode == 0 and good.stdout.startswith("VALID"), good.stdout + good.stderr
    tampered = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(tampered, "w") as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "entries.jsonl":  # one digit, half-way through
                k = next(i for i in range(len(data) // 2, len(data)) if data[i : i + 1].isdigit())
                data = data[:k] + (b"7" if data[k : k + 1] != b"7" else b"8") + data[k + 1 :]
            out.writestr(item, data)
    bad = verdict(tampered.getvalue())
    assert bad.returncode == 1, bad.stdout + bad.stderr
