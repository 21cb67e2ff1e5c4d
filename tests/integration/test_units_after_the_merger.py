"""The map of the 2025 merger: ``ocop units map FILE`` replaces the whole map in registration
(problems by line in the operator's language, nothing loaded on a problem; refused in a
four-level deployment), evaluation keeps it from ``units.map_loaded``, and a pre-2025 dossier and
its case answer by the 2025 commune it merged into (jurisdiction, lists, statistics) while they
keep, and name, the commune they were filed in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from sqlalchemy import func, select

from services.evaluation import models as evaluation_models
from services.evaluation.schemas.certificates import GROUNDS
from services.portal import formal
from shared import unit_map
from shared.units import lookup
from shared.units.merger import sample_path
from tests.support import councils as kit
from tests.support import flows, merger
from tests.support.cases import accepted_dossier, deliver, deliver_accounts
from tests.support.merger import NEW_COMMUNE, NEW_PROVINCE, OLD_COMMUNE
from tests.support.register import seed_certificate

ELSEWHERE = "2025:commune:19360"  # Phường Quảng Trị: Phường 1 did not merge into it
HEADER = "old_code,new_code,old_name,new_name\n"


@pytest.fixture()
def two_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    """The command as a two-tier deployment's operator runs it (it reads the settings)."""
    monkeypatch.setenv("OCOP_REGIME", "two-tier")


@pytest.fixture()
def no_map_left(registration: Any, evaluation: Any, notification: Any) -> Iterator[None]:
    merger.forget(registration, evaluation, notification)
    yield
    merger.forget(registration, evaluation, notification)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "map.csv"
    path.write_text(text, encoding="utf-8")
    return path


# --- the command ------------------------------------------------------------------------------


def test_the_sample_loads_whole_and_every_old_province_is_told(
    registration, evaluation, no_map_left, two_tier, capsys
) -> None:
    assert merger.load(sample_path()) == 0
    assert "264" in capsys.readouterr().out
    kept = merger.successors(registration)
    assert len(kept) == 264 and kept["19333"] == "19333" and kept["19330"] == "19333"
    told = merger.map_events(registration)[-63:]  # one per province of the pre-2025 tree
    assert len({e["payload"]["province_code"] for e in told}) == 63
    by_province = {e["payload"]["province_code"]: e["payload"]["successors"] for e in told}
    assert ["19333", "44", "19333"] in by_province["45"] and by_province["01"] == []
    merger.deliver(registration, evaluation)
    assert merger.successors(evaluation) == kept


def test_each_problem_is_named_by_line_and_nothing_is_loaded(
    registration, no_map_left, two_tier, tmp_path, capsys
) -> None:
    assert merger.load(sample_path()) == 0
    before = merger.successors(registration)
    events = len(merger.map_events(registration))
    bad = _write(
        tmp_path,
        "# a comment line, not counted as a record\n"
        + HEADER
        + "19333,19333,Phường 1,Phường Đông Hà\n"  # line 3: good
        + "99999,19333\n"  # line 4: no such pre-2025 commune
        + "19336,99999\n"  # line 5: no such 2025 commune
        + "19333,19351\n"  # line 6: a second successor
        + "19339\n"  # line 7: one field
        + "1933x,19333\n",  # line 8: not a code
    )
    capsys.readouterr()
    assert merger.load(bad) == 1
    err = capsys.readouterr().err
    assert "dòng 4: “99999” không phải mã xã nào trong danh mục trước năm 2025" in err
    assert "dòng 5: “99999” không phải mã xã nào trong danh mục năm 2025" in err
    assert "dòng 6: xã 19333 đã có đơn vị kế thừa ở dòng 3" in err
    assert "dòng 7: cần 2 đến 4 cột" in err
    assert "dòng 8: “1933x”" in err
    assert "dòng 3" not in err.replace("ở dòng 3", "") and "Chưa nạp gì" in err
    assert merger.load(bad, "--language", "en") == 1
    err = capsys.readouterr().err
    assert "line 6: commune 19333 already has a successor on line 3" in err
    assert "Nothing was loaded" in err
    assert merger.load(_write(tmp_path, "old,new\n19333,19333\n")) == 1
    assert "dòng 1: dòng tiêu đề phải là old_code,new_code" in capsys.readouterr().err
    assert merger.load(_write(tmp_path, HEADER)) == 1
    assert "tệp không có cặp mã nào" in capsys.readouterr().err
    assert merger.load(tmp_path / "missing.csv") == 1
    assert merger.successors(registration) == before  # nothing changed, nothing told
    assert len(merger.map_events(registration)) == events


def test_a_load_replaces_the_whole_map(registration, evaluation, no_map_left, two_tier, tmp_path):
    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    # The corrected list: Phường 1 went to Nam Đông Hà; Quảng Bình's communes are not in it.
    assert merger.load(_write(tmp_path, HEADER + "19333,19351\n19336,19333\n")) == 0
    assert merger.successors(registration) == {"19333": "19351", "19336": "19333"}
    merger.deliver(registration, evaluation)  # every event again: the later load of each wins
    assert merger.successors(evaluation) == {"19333": "19351", "19336": "19333"}


def test_a_four_level_deployment_needs_no_map(registration, no_map_left, capsys) -> None:
    assert merger.load(sample_path()) == 1  # OCOP_REGIME is four-level, as in the rest of the suite
    assert "chế độ “four-level”" in capsys.readouterr().err
    assert merger.successors(registration) == {}


# --- records answer by the current unit -------------------------------------------------------


@pytest.fixture(scope="module")
def old_case(call, admin, commune_officer, registration, evaluation) -> dict[str, Any]:
    """A dossier filed in Phường 1 before the merger, accepted and with evaluation."""
    _applicant, dossier = accepted_dossier(call, commune_officer)
    assert dossier["unit_tree"] == "pre2025" and dossier["commune_code"] == "19333"
    assert deliver(registration, evaluation, dossier["id"]) == 2
    return dossier


def _officials(admin: Any, eval_call: Any) -> dict[str, Any]:
    return {
        "officer": kit.official(admin, eval_call, ["commune_officer"], NEW_COMMUNE),
        "secretariat": kit.official(admin, eval_call, ["secretariat"], NEW_PROVINCE),
        "elsewhere": kit.official(admin, eval_call, ["commune_officer"], ELSEWHERE),
    }


def _reads(actor: Any, call: Any, dossier_id: str) -> tuple[int, int, bool]:
    """What ``actor`` gets of the dossier (registration), of its case (evaluation), and whether
    the dossiers' list filtered by the actor's unit holds it."""
    on_registration = flows.Actor(call, actor.token, actor.account)
    dossier = on_registration("GET", f"/api/v1/dossiers/{dossier_id}").status
    case = actor("GET", f"/api/v1/cases/{dossier_id}").status
    unit = actor.account["unit"]
    listed = on_registration("GET", f"/api/v1/dossiers?unit={unit}&limit=100").body
    return dossier, case, any(d["id"] == dossier_id for d in listed.get("items", []))


def test_a_pre_2025_record_answers_by_its_2025_commune_once_mapped(
    old_case,
    admin,
    commune_officer,
    call,
    eval_call,
    registration,
    evaluation,
    no_map_left,
    two_tier,
) -> None:
    people = _officials(admin, eval_call)
    dossier_id = old_case["id"]
    for actor in people.values():
        assert _reads(actor, call, dossier_id) == (404, 404, False)

    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    assert _reads(people["officer"], call, dossier_id) == (200, 200, True)
    assert _reads(people["secretariat"], call, dossier_id) == (200, 200, True)
    assert _reads(people["elsewhere"], call, dossier_id) == (404, 404, False)

    # It keeps, and names, the commune it was filed in.
    on_registration = flows.Actor(call, people["officer"].token, people["officer"].account)
    dossier = on_registration("GET", f"/api/v1/dossiers/{dossier_id}").body
    case = people["officer"]("GET", f"/api/v1/cases/{dossier_id}").body
    for record in (dossier, case):
        assert (record["unit_tree"], record["district_code"], record["commune_code"]) == (
            "pre2025",
            "461",
            "19333",
        )
        row = lookup.by_ref(f"{record['unit_tree']}:commune:{record['commune_code']}")
        assert row is not None and row.name == "Phường 1"
    # The commune's Form 03 report is still headed by the committee of Phường 1.
    portal = Flask(__name__)
    portal.secret_key = "merger"
    with portal.test_request_context():
        report = formal.commune_report(case)
    assert report.issuer.body[-1] == "PHƯỜNG 1" and report.issuer.place == "Phường 1"

    # The pre-2025 officials' reach is as it was (four-level deployments are unaffected): the
    # officer who handled it reads it, another officer of its old commune does not.
    handler = kit.on_evaluation(eval_call, commune_officer)
    assert _reads(handler, call, dossier_id) == (200, 200, True)
    colleague = kit.official(admin, eval_call, ["commune_officer"], OLD_COMMUNE)
    assert _reads(colleague, call, dossier_id) == (404, 404, False)


def test_a_pre_2025_case_s_delivery_log_answers_by_its_2025_units(
    old_case, call, admin, registration, evaluation, notification, note_call, no_map_left, two_tier
) -> None:
    """Notification keeps the map too: the officials and auditors of the 2025 units a pre-2025
    case merged into read its emails' log, as they read the case; others still do not."""
    deliver_accounts(registration, notification)
    deliver(registration, notification, old_case["id"])
    path = f"/api/v1/deliveries?dossier_id={old_case['id']}"
    people = {
        "officer": flows.create_official(admin, ["commune_officer"], NEW_COMMUNE),
        "auditor": flows.create_official(admin, ["auditor"], NEW_PROVINCE),
        "elsewhere": flows.create_official(admin, ["commune_officer"], ELSEWHERE),
    }

    def reads() -> dict[str, int]:
        return {k: note_call("GET", path, token=p.token).status for k, p in people.items()}

    assert reads() == {"officer": 404, "auditor": 404, "elsewhere": 404}
    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation, notification)
    assert merger.successors(notification) == merger.successors(registration)
    assert reads() == {"officer": 200, "auditor": 200, "elsewhere": 404}


def test_statistics_count_a_pre_2025_case_under_its_2025_province(
    old_case, admin, eval_call, registration, evaluation, no_map_left, two_tier
) -> None:
    national = kit.official(admin, eval_call, ["auditor"], "national")
    province = kit.official(admin, eval_call, ["auditor"], NEW_PROVINCE)

    def by_province(actor: Any) -> dict[tuple[str, str], int]:
        reply = actor("GET", "/api/v1/statistics")
        assert reply.status == 200, reply.body
        rows = reply.body["province"] if isinstance(reply.body, dict) else reply.body
        return {(r["unit_tree"], r["province_code"]): r["count"] for r in rows}

    before = by_province(national)
    assert before.get(("pre2025", "45"), 0) >= 1
    # Before the map, the 2025 province counts only what was filed in it (the two-tier e2e
    # run files there), none of the old province's.
    assert by_province(province) == {k: n for k, n in before.items() if k == ("2025", "44")}
    with evaluation.db.reader() as session:
        olds = session.execute(
            select(func.count())
            .select_from(evaluation_models.Case)
            .where(
                evaluation_models.Case.unit_tree == "pre2025",
                evaluation_models.Case.province_code.in_(("44", "45")),
            )
        ).scalar_one()

    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    after = by_province(national)
    assert ("pre2025", "45") not in after and ("pre2025", "44") not in after
    assert after[("2025", "44")] == before.get(("2025", "44"), 0) + olds
    assert by_province(province) == {("2025", "44"): after[("2025", "44")]}
    districts = national("GET", "/api/v1/statistics").body
    rows = districts["district"] if isinstance(districts, dict) else districts
    assert not [r for r in rows if r["unit_tree"] == "pre2025" and r["province_code"] == "45"]


def test_the_register_finds_a_pre_2025_certificate_by_its_2025_units(
    evaluation, eval_call, registration, no_map_left, two_tier
) -> None:
    word = "zqmerger" + "".join("abcdefghij"[int(d)] for d in f"{uuid.uuid4().int % 10**6:06d}")
    number = seed_certificate(evaluation, product_name=f"Nước mắm {word}")  # in Phường 1

    def numbers(**place: str) -> set[str]:
        reply = eval_call("GET", "/api/v1/register?" + urlencode({"q": word, **place}))
        assert reply.status == 200, reply.body
        return {item["number"] for item in reply.body["items"]}

    assert numbers(commune=NEW_COMMUNE) == set()
    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    assert numbers(commune=NEW_COMMUNE) == {number}
    assert numbers(province=NEW_PROVINCE) == {number}
    assert numbers(commune=ELSEWHERE) == set()
    assert numbers(commune=OLD_COMMUNE) == {number}  # the filed unit finds it too
    entry = eval_call("GET", f"/api/v1/register?{urlencode({'q': word})}").body["items"][0]
    assert entry["commune"] == OLD_COMMUNE  # the entry names the commune it was filed in


def test_a_record_filed_after_the_map_answers_by_it_at_once(
    call, admin, commune_officer, eval_call, registration, evaluation, no_map_left, two_tier
) -> None:
    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    _applicant, dossier = accepted_dossier(call, commune_officer)
    assert deliver(registration, evaluation, dossier["id"]) == 2
    officer = kit.official(admin, eval_call, ["commune_officer"], NEW_COMMUNE)
    assert _reads(officer, call, dossier["id"]) == (200, 200, True)


def test_a_late_older_load_of_a_province_is_left_out(evaluation, no_map_left) -> None:
    tables = evaluation_models.unit_map_tables
    newer, older = datetime(2026, 7, 2, tzinfo=UTC), datetime(2026, 7, 1, tzinfo=UTC)
    with evaluation.db.unit_of_work() as uow:
        payload = {"province_code": "45", "successors": [["19333", "44", "19351"]]}
        assert unit_map.record(uow.session, tables, payload, newer)
        payload = {"province_code": "45", "successors": [["19333", "44", "19333"]]}
        assert not unit_map.record(uow.session, tables, payload, older)
        assert not unit_map.record(uow.session, tables, payload, newer)  # twice: kept once
        uow.commit()
    assert merger.successors(evaluation) == {"19333": "19351"}


def test_the_2025_province_revokes_a_pre_2025_certificate_once_mapped(
    evaluation, eval_call, admin, registration, no_map_left, two_tier
) -> None:
    """The pre-2025 province that recognised it is gone: the authority of the 2025 province
    its commune merged into revokes it, once the map says which one; no other does."""
    number = seed_certificate(evaluation, product_name="Mắm ruốc Cửa Tùng")  # Phường 1, 4★
    authority = kit.official(admin, eval_call, ["decision_authority"], NEW_PROVINCE)
    other = kit.official(admin, eval_call, ["decision_authority"], "2025:province:01")
    path = f"/api/v1/certificates/{number}/revocation"
    body = {"ground": GROUNDS[0], "found_on": date.today().isoformat()}

    assert authority("POST", path, json=body).status in (403, 404)  # no map: not theirs yet
    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    assert other("POST", path, json=body).status in (403, 404)
    revoked = authority("POST", path, json=body)
    assert revoked.status == 201, revoked.body
    assert revoked.body["status"] == "revoked"
    # The certificate keeps the authority that recognised it.
    assert revoked.body["authority_unit"] == "pre2025:province:45"


# --- a producer of the old map files today ----------------------------------------------------


def test_a_producer_of_the_old_map_files_in_its_2025_commune(
    call, admin, eval_call, registration, evaluation, two_tier_registration, no_map_left, two_tier
) -> None:
    """A producer recorded in Phường 1 before the merger (as a province's file of certificates
    brings them in) files a new dossier in Phường Đông Hà, where today's officers take it in;
    until the map names its commune, it is told why it cannot, and nothing is filed."""
    owner = flows.register(call)
    producer = flows.create_producer(owner, OLD_COMMUNE)
    today = flows.Actor(two_tier_registration, owner.token, owner.account)
    body = flows.dossier_body(producer["id"])

    def drafts() -> int:
        return len(today("GET", "/api/v1/dossiers?limit=100").body["items"])

    refused = today("POST", "/api/v1/dossiers", json=body)
    assert (refused.status, refused.body["code"]) == (409, "dossier.commune_not_on_map")
    assert refused.body["params"] == {"commune": "Phường 1"}
    assert drafts() == 0

    assert merger.load(sample_path()) == 0
    merger.deliver(registration, evaluation)
    submitted = flows.submitted_dossier(today, producer["id"])
    assert (submitted["unit_tree"], submitted["district_code"], submitted["commune_code"]) == (
        "2025",
        None,
        "19333",
    )
    assert submitted["province_code"] == "44"
    officer = kit.official(admin, eval_call, ["commune_officer"], NEW_COMMUNE)
    accepted = flows.act(
        flows.Actor(two_tier_registration, officer.token, officer.account), submitted, "accept"
    )
    assert accepted.status == 200, accepted.body
    # The producer keeps the commune it was recorded in.
    kept = today("GET", f"/api/v1/producers/{producer['id']}").body
    assert (kept["unit_tree"], kept["commune_code"]) == ("pre2025", "19333")
