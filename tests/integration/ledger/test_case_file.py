"""The case file of full cases driven through every service: one entry per event, the history
in each caller's view, the auditor's reads recorded, export, offline and online verification
(docs/quality.md items 6 and 9 for the untouched ledger)."""

from __future__ import annotations

import json
import re
import uuid
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services import cli
from services.registration.ledger import checkpoints
from services.registration.models import LedgerEntry
from shared import catalogue as shared_catalogue
from shared.ledger import casefile
from tests.integration.ledger.conftest import World, outbox_ids
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver
from tests.unit.evaluation.sheets import answers_for

E = LedgerEntry


def entries(world: World, dossier_id: str) -> list[dict[str, Any]]:
    with world.registration.db.reader() as session:
        bodies = session.execute(
            select(E.body).where(E.dossier_id == uuid.UUID(dossier_id)).order_by(E.n)
        ).scalars()
        return [json.loads(b) for b in bodies]


def walk(actor: flows.Actor, dossier_id: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of the history, following the cursor."""
    items: list[dict[str, Any]] = []
    after = None
    for _ in range(200):
        query = {**params, **({"after": after} if after is not None else {})}
        reply = actor("GET", f"/api/v1/dossiers/{dossier_id}/history", query_string=query)
        assert reply.status == 200, reply.body
        items += reply.body["items"]
        after = reply.body["next"]
        if after is None:
            return items
    raise AssertionError("the cursor never ended")


def test_every_event_about_the_case_is_recorded_once(world: World, full_case: str) -> None:
    recorded = [e for e in entries(world, full_case) if e["kind"] != "case_file.read"]
    produced = set().union(
        *(outbox_ids(s, full_case) for s in (world.registration, world.evaluation))
    ) | outbox_ids(world.notification, full_case)
    assert {uuid.UUID(e["event_id"]) for e in recorded} == produced
    assert len(recorded) == len(produced)
    kinds = [e["kind"] for e in recorded]
    for kind in (
        "dossier.document_added",
        "dossier.submitted",
        "dossier.accepted",
        "evaluation.conflict_declared",
        "evaluation.sheet_submitted",
        "evaluation.sheet_revised",
        "evaluation.forwarded",
        "evaluation.decided",
        "certificate.issued",
        "notification.sent",
    ):
        assert kind in kinds, kind
    document = next(e for e in recorded if e["kind"] == "dossier.document_added")
    assert document["payload"]["sha256"] == kit.PDF_SHA256
    revision = next(e for e in recorded if e["kind"] == "evaluation.sheet_revised")
    assert revision["payload"]["old_total"] != revision["payload"]["total"]
    email = next(e for e in recorded if e["kind"] == "notification.sent")
    assert email["payload"]["message_id"] and email["payload"]["template"]
    # Positions are dense per case and the global sequence increases with them.
    all_entries = entries(world, full_case)
    assert [e["n"] for e in all_entries] == list(range(1, len(all_entries) + 1))
    seqs = [e["seq"] for e in all_entries]
    assert seqs == sorted(seqs)

    # Redelivering every event (the broker's at-least-once) records nothing more.
    before = len(all_entries)
    world.exchange(full_case)
    for source in (world.registration, world.evaluation, world.notification):
        assert deliver(source, world.registration, full_case) == 0
    assert len(entries(world, full_case)) == before


def test_the_applicant_sees_the_steps_but_not_the_councils_sheets_nor_others_emails(
    world: World, full_case: str
) -> None:
    seen = walk(world.owner, full_case)
    kinds = {e["kind"] for e in seen}
    assert {"dossier.submitted", "evaluation.decided", "certificate.issued"} <= kinds
    assert not kinds & {
        "evaluation.sheet_submitted",
        "evaluation.sheet_revised",
        "evaluation.conflict_declared",
        "case_file.read",
    }
    emails = [e for e in seen if e["kind"].startswith("notification.")]
    assert emails and all(e["payload"]["account_id"] == world.owner.account["id"] for e in emails)
    total = len(entries(world, full_case))
    assert len(seen) < total


def test_an_official_in_reach_sees_closed_sheets_and_only_their_own_emails(
    world: World, full_case: str
) -> None:
    chair = world.councils["district"].chair
    seen = walk(flows.Actor(world.owner.call, chair.token, chair.account), full_case)
    kinds = [e["kind"] for e in seen]
    assert kinds.count("evaluation.sheet_submitted") == sum(
        1 for e in entries(world, full_case) if e["kind"] == "evaluation.sheet_submitted"
    )
    assert "case_file.read" not in kinds
    emails = [e for e in seen if e["kind"].startswith("notification.")]
    assert all(e["payload"]["account_id"] == chair.account["id"] for e in emails)


def test_sheets_of_an_open_council_are_hidden_from_the_other_members(
    world: World, commune_officer: flows.Actor
) -> None:
    dossier = kit.accepted_case(world.registration, world.evaluation, world.owner, commune_officer)
    dossier_id = dossier["id"]
    world.exchange(dossier_id)
    kit.propose(world.officer, dossier_id)
    council = world.councils["district"]
    evaluation_id = kit.assign(world.secretariats["district"], dossier_id, council.id).body["id"]
    kit.score_all(council, evaluation_id, [answers_for(80, marks=4)] * 2)
    world.exchange(dossier_id)
    first, second = council.everyone[:2]

    def sheets_seen(person: flows.Actor) -> list[str]:
        seen = walk(flows.Actor(world.owner.call, person.token, person.account), dossier_id)
        return [e["actor"]["user_id"] for e in seen if e["kind"] == "evaluation.sheet_submitted"]

    assert sheets_seen(first) == [first.account["id"]]
    assert sheets_seen(second) == [second.account["id"]]
    everything = walk(world.auditor, dossier_id, kind="evaluation.sheet_submitted")
    assert {e["actor"]["user_id"] for e in everything} == {
        first.account["id"],
        second.account["id"],
    }


def test_the_auditor_sees_everything_and_each_read_is_recorded(
    world: World, full_case: str
) -> None:
    before = entries(world, full_case)
    reply = world.auditor(
        "GET",
        f"/api/v1/dossiers/{full_case}/history",
        query_string={"kind": "certificate.issued", "limit": 5},
    )
    assert reply.status == 200, reply.body
    assert [e["kind"] for e in reply.body["items"]] == ["certificate.issued"]
    after = entries(world, full_case)
    assert len(after) == len(before) + 1
    read = after[-1]
    assert read["kind"] == "case_file.read"
    assert read["actor"]["user_id"] == world.auditor.account["id"]
    assert read["actor"]["role"] == "auditor"
    assert read["payload"] == {
        "what": "history",
        "details": {"kinds": ["certificate.issued"], "since": None, "until": None, "after": None},
    }
    full = walk(world.auditor, full_case, limit=7)
    # The walk's own reads were appended while it paged; it saw every entry before them.
    assert [e["n"] for e in full[: len(after)]] == list(range(1, len(after) + 1))
    assert {e["kind"] for e in full} >= {"evaluation.sheet_revised", "case_file.read"}


def test_filters_and_pages_are_consistent(world: World, full_case: str) -> None:
    everything = walk(world.owner, full_case, limit=200)
    paged = walk(world.owner, full_case, limit=3)
    assert [e["n"] for e in paged] == [e["n"] for e in everything]
    middle = everything[len(everything) // 2]["occurred_at"]
    later = walk(world.owner, full_case, since=middle)
    earlier = walk(world.owner, full_case, until=middle)
    assert len(later) + len(earlier) == len(everything)
    assert all(e["occurred_at"] >= middle for e in later)
    sent = walk(world.owner, full_case, kind=["notification.sent", "certificate.issued"])
    assert {e["kind"] for e in sent} == {"notification.sent", "certificate.issued"}


@pytest.mark.parametrize(
    "query",
    [{"kind": "dossier.teleported"}, {"limit": 0}, {"after": -1}, {"since": "yesterday"}],
)
def test_bad_history_queries_are_problems_and_record_nothing(
    world: World, full_case: str, query: dict[str, Any]
) -> None:
    before = len(entries(world, full_case))
    reply = world.auditor("GET", f"/api/v1/dossiers/{full_case}/history", query_string=query)
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert len(entries(world, full_case)) == before


def test_out_of_reach_is_not_found(world: World, full_case: str, call: flows.Transport) -> None:
    stranger = flows.register(call, "applicant")
    for actor in (world.other_auditor, stranger):
        for path in ("history", "case-file", "case-file/verification"):
            reply = actor("GET", f"/api/v1/dossiers/{full_case}/{path}")
            assert reply.status == 404, (path, reply.body)
    missing = uuid.uuid4()
    assert world.auditor("GET", f"/api/v1/dossiers/{missing}/history").status == 404
    assert call("GET", f"/api/v1/dossiers/{full_case}/history").status == 401
    # Participants read their view but do not export the whole file.
    assert world.owner("GET", f"/api/v1/dossiers/{full_case}/case-file").status == 403


def test_export_verifies_offline_and_online(world: World, full_case: str, tmp_path: Path) -> None:
    reply = world.auditor("GET", f"/api/v1/dossiers/{full_case}/case-file")
    assert reply.status == 200
    assert reply.headers["Content-Type"] == "application/zip"
    with zipfile.ZipFile(BytesIO(reply.body)) as archive:
        assert sorted(archive.namelist()) == [
            "bridge.csv",
            "checkpoint.json",
            "entries.jsonl",
            "links.csv",
            "manifest.json",
            "public_key.pem",
        ]
        lines = archive.read("entries.jsonl").decode().splitlines()
    # The export itself is the last entry of what it exports, and a checkpoint covers it.
    assert json.loads(lines[-1])["kind"] == "case_file.read"
    assert json.loads(lines[-1])["payload"]["what"] == "export"
    path = tmp_path / "case.zip"
    path.write_bytes(reply.body)
    report = casefile.verify_bytes(reply.body)
    assert report.valid and report.covered, report.text()
    assert report.entries == len(lines)

    assert cli.main(["audit", "verify", str(path)]) == 0
    keys = world.owner.call("GET", "/api/v1/ledger/keys")
    assert keys.status == 200
    pem = keys.body["keys"][-1]["public_key_pem"]
    assert keys.body["keys"][-1]["fingerprint"] == report.key_fingerprint
    (tmp_path / "trusted.pem").write_text(pem)
    assert cli.main(["audit", "verify", str(path), "--key", str(tmp_path / "trusted.pem")]) == 0
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from shared.ledger.checkpoint import public_pem

    (tmp_path / "other.pem").write_text(public_pem(Ed25519PrivateKey.generate().public_key()))
    assert cli.main(["audit", "verify", str(path), "--key", str(tmp_path / "other.pem")]) == 1

    online = world.auditor("GET", f"/api/v1/dossiers/{full_case}/case-file/verification")
    assert online.status == 200 and online.body["valid"], online.body
    assert cli.main(["audit", "verify", "--online", "--dossier", full_case]) == 0
    assert cli.main(["audit", "verify", "--online"]) == 0
    assert cli.main(["audit", "export", "--dossier", full_case, "-o", str(tmp_path / "c.zip")]) == 0
    assert casefile.verify_bytes((tmp_path / "c.zip").read_bytes()).valid


def test_checkpoints_sign_only_a_moved_head(world: World, full_case: str) -> None:
    with world.registration.db.unit_of_work() as uow:
        checkpoints.make(uow.session)
        uow.commit()
    with world.registration.db.unit_of_work() as uow:
        assert checkpoints.make(uow.session) is None
        uow.commit()


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_the_readable_case_file(world: World, full_case: str, lang: str) -> None:
    reply = world.auditor(
        "GET", f"/api/v1/dossiers/{full_case}/case-file/report", query_string={"lang": lang}
    )
    assert reply.status == 200, reply.body
    assert reply.headers["Content-Type"].startswith("text/html")
    page = reply.body.decode()
    certificate = next(e for e in entries(world, full_case) if e["kind"] == "certificate.issued")
    assert certificate["payload"]["number"] in page
    assert ("Hợp lệ" if lang == "vi" else "Valid: no entry altered") in page
    for level in ("district", "province", "national"):
        assert f"<td>{shared_catalogue.label('level', level, lang)}</td>" in page
    assert ("Nộp phiếu chấm" if lang == "vi" else "Score sheet submitted") in page
    # Words, not codes: no event type, no role code, dates as the language writes them.
    for code in ("evaluation.sheet_submitted", "notification.sent", "(system)", "(council_chair)"):
        assert code not in page, code
    assert not re.search(r"\d{4}-\d{2}-\d{2}", page.split("</style>")[1])
    # The certificate's authority in words ("national" or "pre2025:province:45" are codes).
    authority = shared_catalogue.translate("casefile.authority", lang)
    national = shared_catalogue.label("level", "national", lang)
    assert f"<tr><th>{authority}</th><td>{national}</td></tr>" in page
    system = "hệ thống" if lang == "vi" else "system"
    assert f"<td>{system}</td>" in page

    pdf = world.auditor(
        "GET",
        f"/api/v1/dossiers/{full_case}/case-file/report",
        query_string={"format": "pdf", "lang": lang},
    )
    assert pdf.status == 200 and pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.body.startswith(b"%PDF-") and len(pdf.body) > 5000
    assert b"DejaVu" in pdf.body  # the embedded font with Vietnamese glyphs

    assert world.owner("GET", f"/api/v1/dossiers/{full_case}/case-file/report").status == 403
    bad = world.auditor(
        "GET", f"/api/v1/dossiers/{full_case}/case-file/report", query_string={"format": "doc"}
    )
    assert bad.status == 422
