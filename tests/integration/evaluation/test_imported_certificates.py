"""Certificates issued before the platform, imported by registration (``certificate.imported``):
the evaluation service keeps each like one it issued, so the public check, the case's list,
revocation, the re-evaluation reminders and expiry, and a re-evaluation superseding it work on
it, without an email at import (no ``certificate.issued``) and without taking a number from the
counters.

The events are handed to the service's inbox as the broker would; registration's side of the
import (the dossier and its certificates read model, what a re-evaluation is checked against)
is written here as the import writes it.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from services.evaluation.models import Case, Certificate, CertificateCounter
from services.evaluation.service import schedule
from services.evaluation.service.imports import ImportConflict
from services.registration.models import Certificate as CertificateRecord
from shared.certificates import add_months
from shared.events import Actor, new_event
from tests.integration.evaluation.test_decisions import (
    assert_problem,
    awaiting_decision,
    days_ago,
    outbox_events,
    sign_in_people,
)
from tests.integration.evaluation.test_upgrade import file_and_accept, lookup, recorded, stored
from tests.support import councils as kit
from tests.support import flows, merger
from tests.support.cases import deliver
from tests.support.councils import decide

IMPORTER = Actor(None, "system")


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


def imported_event(people: dict[str, Any], dossier_id: str, **overrides: Any) -> Any:
    """A row of a province's file: a 3★ certificate of the district of Đông Hà, its expiry
    ``expires_in`` days from today (150: in its re-evaluation window)."""
    expires_in = overrides.pop("expires_in", 150)
    expires_on = days_ago(-expires_in)
    issued_on = add_months(expires_on, -36)
    applicant = people["registration_applicant"]
    payload = {
        "dossier_id": dossier_id,
        "producer_id": people["producer_id"],
        "producer_name": "HTX Mật ong Cam Lộ",
        "owner_account_id": applicant.account["id"],
        "consultant_account_ids": [],
        "product_name": "Mật ong hoa cà phê Khe Sanh",
        "product_set_code": "04",
        "product_code": f"45-19333-{uuid.uuid4().int % 1000:03d}-2023",
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "45",
        "district_code": "461",
        "commune_code": "19333",
        "level": "district",
        "number": f"{uuid.uuid4().hex[:10]}/GCN-UBND",
        "star_rank": 3,
        "authority_unit": "pre2025:district:461",
        "decision_number": f"{uuid.uuid4().hex[:10]}/QĐ-UBND",
        "decided_on": issued_on.isoformat(),
        "issued_on": issued_on.isoformat(),
        "expires_on": expires_on.isoformat(),
        "status": "valid",
        "revoked_on": None,
        "source_file": "quang-tri-2023.csv",
        "source_sha256": "ab" * 32,
        "source_row": 2,
    }
    payload.update(overrides)
    return new_event(
        "certificate.imported",
        payload,
        producer="registration",
        actor=IMPORTER,
        dossier_id=uuid.UUID(dossier_id),
    )


def registration_side(registration: Any, people: dict[str, Any], event: Any) -> None:
    """What the import writes in registration for the row: the dossier (here a draft of the
    producer's) and its certificates read model."""
    p = event.payload
    with registration.db.unit_of_work() as uow:
        uow.session.add(
            CertificateRecord(
                number=p["number"],
                dossier_id=uuid.UUID(p["dossier_id"]),
                producer_id=uuid.UUID(p["producer_id"]),
                product_name=p["product_name"],
                star_rank=p["star_rank"],
                issued_on=date.fromisoformat(p["issued_on"]),
                expires_on=date.fromisoformat(p["expires_on"]),
                status=p["status"],
            )
        )
        uow.commit()


def import_one(
    registration: Any, evaluation: Any, people: dict[str, Any], **overrides: Any
) -> dict[str, Any]:
    """Import one certificate of the module's producer; its payload."""
    dossier = flows.create_dossier(people["registration_applicant"], people["producer_id"])
    event = imported_event(people, dossier["id"], **overrides)
    registration_side(registration, people, event)
    assert evaluation.inbox().consume(event.to_dict()) == "handled"
    return event.payload


def counters(evaluation: Any) -> list[tuple[Any, ...]]:
    with evaluation.db.reader() as session:
        return [tuple(r) for r in session.execute(select(CertificateCounter.__table__)).all()]


# --- kept like one issued here --------------------------------------------------------------


def test_an_imported_certificate_is_kept_with_its_original_facts(
    registration, evaluation, eval_call, people, notification
) -> None:
    before = counters(evaluation)
    dossier = flows.create_dossier(people["registration_applicant"], people["producer_id"])
    event = imported_event(people, dossier["id"])
    registration_side(registration, people, event)
    assert evaluation.inbox().consume(event.to_dict()) == "handled"
    p = event.payload

    checked = lookup(eval_call, p["number"])  # the public check, no sign-in
    assert checked["status"] == "valid" and checked["imported"] is True
    assert (checked["decision_number"], checked["issued_on"], checked["expires_on"]) == (
        p["decision_number"],
        p["issued_on"],
        p["expires_on"],
    )
    assert (checked["level"], checked["authority_unit"]) == ("district", "pre2025:district:461")
    # In the public register too, found by a word of its name and by its number (a slash in it).
    entry = eval_call("GET", f"/api/v1/register/{p['number']}")
    assert entry.status == 200, entry.body
    assert (entry.body["number"], entry.body["status"]) == (p["number"], "valid")
    word = p["product_name"].split()[-1]
    found = eval_call("GET", f"/api/v1/register?q={quote(word)}")
    assert p["number"] in [item["number"] for item in found.body["items"]]
    with evaluation.db.reader() as session:
        case = session.get_one(Case, uuid.UUID(dossier["id"]))
        assert (case.stage, case.level, case.imported) == ("recognised", "district", True)
        assert case.producer_id == uuid.UUID(people["producer_id"])
        kept = session.get_one(Certificate, p["number"])
        assert (kept.evaluation_id, kept.decided_by, kept.imported) == (None, None, True)

    # Nobody is told (no certificate.issued, nothing at all), no number is taken.
    assert outbox_events(evaluation, dossier["id"]) == []
    assert counters(evaluation) == before
    # The notification service does not read it: ignored, never parked as poison.
    assert notification.inbox().consume(event.to_dict()) == "ignored"

    # The producer's side and the district reach it: the case, its certificates.
    owner = people["applicant"]
    listed = owner("GET", f"/api/v1/certificates?dossier_id={dossier['id']}")
    assert listed.status == 200, listed.body
    [mine] = listed.body["items"]
    assert (mine["number"], mine["decided_by_name"], mine["imported"]) == (p["number"], None, True)
    for who in ("applicant", "district_authority"):
        case_reply = people[who]("GET", f"/api/v1/cases/{dossier['id']}")
        assert case_reply.status == 200, case_reply.body
        assert case_reply.body["imported"] is True
        assert case_reply.body["evaluations"] == []
    # … but not another district's authority.
    other = people["other_district_authority"]("GET", f"/api/v1/cases/{dossier['id']}")
    assert other.status == 404

    # The same row again (a second run of the file): nothing new.
    assert evaluation.inbox().consume(event.to_dict()) == "duplicate"
    same = new_event("certificate.imported", dict(p), producer="registration", actor=IMPORTER)
    assert same.event_id != event.event_id
    assert evaluation.inbox().consume(same.to_dict()) == "handled"
    with evaluation.db.reader() as session:
        assert (
            session.execute(
                select(func.count()).where(Certificate.number == p["number"])
            ).scalar_one()
            == 1
        )
        assert (
            session.execute(
                select(func.count()).where(Case.dossier_id == uuid.UUID(dossier["id"]))
            ).scalar_one()
            == 1
        )
    assert outbox_events(evaluation, dossier["id"]) == []


def test_a_number_kept_with_other_facts_is_refused_and_changes_nothing(
    registration, evaluation, eval_call, people
) -> None:
    first = import_one(registration, evaluation, people)
    other = flows.create_dossier(people["registration_applicant"], people["producer_id"])
    clash = imported_event(people, other["id"], number=first["number"], star_rank=4)
    with pytest.raises(ImportConflict):
        evaluation.inbox().consume(clash.to_dict())
    with evaluation.db.reader() as session:
        assert session.get(Case, uuid.UUID(other["id"])) is None
        assert session.get_one(Certificate, first["number"]).star_rank == 3
    assert lookup(eval_call, first["number"])["star_rank"] == 3


def test_expired_and_revoked_rows_are_kept_as_the_file_says(
    registration, evaluation, eval_call, people
) -> None:
    revoked = import_one(
        registration, evaluation, people, status="revoked", revoked_on=days_ago(40).isoformat()
    )
    checked = lookup(eval_call, revoked["number"])
    assert (checked["status"], checked["revoked_on"]) == ("revoked", days_ago(40).isoformat())
    expired = import_one(registration, evaluation, people, status="expired", expires_in=-30)
    assert lookup(eval_call, expired["number"])["status"] == "expired"
    # Stated valid, but past its expiry by the day of the import: kept expired, nobody told.
    stale = import_one(registration, evaluation, people, expires_in=-3)
    assert stored(evaluation, stale["number"]).status == "expired"
    assert outbox_events(evaluation, stale["dossier_id"]) == []


# --- what happens to certificates happens to it ---------------------------------------------


def test_the_recognising_authority_revokes_an_imported_certificate(
    registration, evaluation, eval_call, people
) -> None:
    p = import_one(registration, evaluation, people)
    body = {"ground": "mark_misuse", "found_on": days_ago(2).isoformat(), "note": "Kiểm tra"}
    other = people["other_district_authority"](
        "POST", f"/api/v1/certificates/{p['number']}/revocation", json=body
    )
    assert_problem(other, 404, "not-found")
    reply = people["district_authority"](
        "POST", f"/api/v1/certificates/{p['number']}/revocation", json=body
    )
    assert reply.status == 201, reply.body
    assert (reply.body["status"], reply.body["late"], reply.body["decided_by_name"]) == (
        "revoked",
        False,
        None,
    )
    assert lookup(eval_call, p["number"])["status"] == "revoked"
    [revoked] = outbox_events(evaluation, p["dossier_id"])
    assert revoked["type"] == "certificate.revoked"
    assert revoked["payload"]["number"] == p["number"]
    deliver(evaluation, registration, p["dossier_id"])
    assert recorded(registration, p["number"]).status == "revoked"


def test_its_reevaluation_window_is_announced_and_it_expires(
    registration, evaluation, eval_call, people
) -> None:
    in_window = import_one(registration, evaluation, people, expires_in=150)
    ending = import_one(registration, evaluation, people, expires_in=1)
    for _ in range(2):  # once only
        schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(0))
    [expiring] = outbox_events(evaluation, in_window["dossier_id"])
    assert expiring["type"] == "certificate.expiring"
    assert expiring["payload"]["number"] == in_window["number"]
    assert expiring["payload"]["owner_account_id"] == in_window["owner_account_id"]

    # Two days on, the one ending tomorrow has expired: marked so, and announced once.
    for _ in range(2):
        schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(-2))
    kinds = [e["type"] for e in outbox_events(evaluation, ending["dossier_id"])]
    assert kinds.count("certificate.expired") == 1
    assert stored(evaluation, ending["number"]).status == "expired"
    assert lookup(eval_call, ending["number"])["status"] == "expired"


def test_a_reevaluation_of_an_imported_certificate_supersedes_it(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    old = import_one(registration, evaluation, people, expires_in=150)
    dossier = file_and_accept(
        registration, evaluation, commune_officer, people, "re_evaluation", old["number"]
    )
    with evaluation.db.reader() as session:
        case = session.get_one(Case, uuid.UUID(dossier["id"]))
        assert (case.registration_type, case.previous_certificate) == (
            "re_evaluation",
            old["number"],
        )
        assert case.imported is False
    # Filed in its window: no more reminders of it.
    schedule.raise_certificate_notices(db=evaluation.db, today=days_ago(0))
    assert outbox_events(evaluation, old["dossier_id"]) == []

    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=3, level="district", closed_on=days_ago(2)
    )
    reply = decide(people["district_authority"], dossier["id"], version, days_ago(0))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert new["number"] != old["number"] and new["imported"] is False
    old_now = lookup(eval_call, old["number"])
    assert (old_now["status"], old_now["superseded_by"]) == ("superseded", new["number"])
    [issued] = [
        e for e in outbox_events(evaluation, dossier["id"]) if e["type"] == "certificate.issued"
    ]
    assert issued["payload"]["replaces"] == old["number"]
    deliver(evaluation, registration, dossier["id"])
    assert recorded(registration, old["number"]).status == "superseded"
    assert recorded(registration, new["number"]).status == "valid"


def test_statistics_count_it_in_force_but_not_in_the_funnel(
    registration, evaluation, people
) -> None:
    operator = people["operator"]

    def figures() -> tuple[int, int]:
        reply = operator("GET", "/api/v1/statistics")
        assert reply.status == 200, reply.body
        three = sum(r["count"] for r in reply.body["star_rank"] if r["star_rank"] == 3)
        recognised = sum(
            r["recognised"]
            for r in reply.body["funnel"]
            if (r["regime"], r["level"]) == ("four-level", "district")
        )
        return three, recognised

    before = figures()
    import_one(registration, evaluation, people)
    after = figures()
    assert after == (before[0] + 1, before[1])


def test_no_day_is_made_up_for_a_revoked_row_without_one(
    registration, evaluation, eval_call, people
) -> None:
    p = import_one(registration, evaluation, people, status="revoked")
    checked = lookup(eval_call, p["number"])
    assert (checked["status"], checked["revoked_on"]) == ("revoked", None)
    assert date.fromisoformat(checked["expires_on"]) > days_ago(0) + timedelta(days=100)


def test_an_upgrade_of_an_imported_certificate_supersedes_it(
    registration, evaluation, eval_call, commune_officer, people
) -> None:
    old = import_one(registration, evaluation, people, expires_in=500)  # 3★, by the district
    dossier = file_and_accept(
        registration, evaluation, commune_officer, people, "upgrade", old["number"]
    )
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=4, level="province", closed_on=days_ago(3)
    )
    reply = decide(people["province_authority"], dossier["id"], version, days_ago(0))
    assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert (new["star_rank"], new["level"]) == (4, "province")
    old_now = lookup(eval_call, old["number"])
    assert (old_now["status"], old_now["superseded_by"]) == ("superseded", new["number"])


def test_on_the_2025_map_a_district_certificate_is_reevaluated_by_the_province(
    registration, evaluation, eval_call, admin, people, two_tier_registration
) -> None:
    """A province adopting the platform today files on the 2025 map, and its file's
    certificates were recognised on the old one (here a district's 3★, in Phường 1). The
    producer files the re-evaluation in Phường Đông Hà, which Phường 1 merged into; the 2025
    commune takes it in, the 2025 province recognises it, and the new certificate supersedes
    the imported one."""
    old = import_one(registration, evaluation, people, expires_in=150)
    owner = people["registration_applicant"]
    owner = flows.Actor(two_tier_registration, owner.token, owner.account)
    officer = kit.official(admin, eval_call, ["commune_officer"], merger.NEW_COMMUNE)
    province = kit.official(admin, eval_call, ["decision_authority"], merger.NEW_PROVINCE)
    with merger.sample_map(registration, evaluation):
        submitted = flows.submitted_dossier(
            owner,
            people["producer_id"],
            registration_type="re_evaluation",
            certificate_number=old["number"],
        )
        intake = flows.Actor(two_tier_registration, officer.token, officer.account)
        accepted = flows.act(intake, submitted, "accept")
        assert accepted.status == 200, accepted.body
        dossier_id = accepted.body["id"]
        assert deliver(registration, evaluation, dossier_id) == 2
        with evaluation.db.reader() as session:
            case = session.get_one(Case, uuid.UUID(dossier_id))
            assert (case.regime, case.unit_tree, case.commune_code) == ("two-tier", "2025", "19333")
            assert case.previous_certificate == old["number"]

        version = awaiting_decision(
            evaluation, dossier_id, star_rank=3, level="province", closed_on=days_ago(2)
        )
        reply = decide(province, dossier_id, version, days_ago(0))
        assert reply.status == 201, reply.body
    new = reply.body["certificate"]
    assert (new["star_rank"], new["level"], new["imported"]) == (3, "province", False)
    assert new["authority_unit"] == merger.NEW_PROVINCE
    old_now = lookup(eval_call, old["number"])
    assert (old_now["status"], old_now["superseded_by"]) == ("superseded", new["number"])
    assert old_now["authority_unit"] == "pre2025:district:461"  # as recognised
    deliver(evaluation, registration, dossier_id)
    assert recorded(registration, old["number"]).status == "superseded"
    assert recorded(registration, new["number"]).status == "valid"
