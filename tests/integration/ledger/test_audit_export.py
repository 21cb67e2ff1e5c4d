"""What each service publishes for an audit (services/<service>/audit_export.py): after a full
case its export holds the events it committed and the objects the ledger records, as its own
tables say; exports written as files reconcile as the databases do (``ocop audit export-state``,
``ocop audit reconcile --from DIR``)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from services import audit, cli
from services.evaluation import audit_export as evaluation_export
from services.evaluation import models as ev
from services.notification import audit_export as notification_export
from services.notification import models as note
from services.registration import audit_export as registration_export
from services.registration import models as reg
from shared.audit import state as s
from shared.audit.files import reconcile_exports
from tests.integration.ledger.conftest import World, outbox_ids


@pytest.fixture(scope="module")
def case(world: World, full_case: str) -> str:
    world.exchange(full_case)
    return full_case


def _of(records: Iterable[s.Record], kind: type) -> list[Any]:
    return [r for r in records if isinstance(r, kind)]


def test_registration_publishes_its_state_and_the_ledgers_view(world: World, case: str) -> None:
    scope = {uuid.UUID(case)}
    with world.registration.db.reader() as session:
        records = list(registration_export.export(session, scope))
        versions = session.execute(
            select(reg.Document.id, reg.DocumentVersion.number, reg.DocumentVersion.sha256)
            .join(reg.DocumentVersion)
            .where(reg.Document.dossier_id == uuid.UUID(case))
        ).all()
        status = session.get(reg.Dossier, uuid.UUID(case)).status  # type: ignore[union-attr]
        entries = session.execute(
            select(reg.LedgerEntry.event_id).where(reg.LedgerEntry.dossier_id == uuid.UUID(case))
        ).scalars()
        entry_ids = {str(e) for e in entries}
    assert records[0] == s.Header("registration", (case,))
    events = _of(records, s.Event)
    assert {e.event_id for e in events} == {str(i) for i in outbox_ids(world.registration, case)}
    assert {(e.producer, e.dossier_id) for e in events} == {("registration", case)}
    assert {(d.document_id, d.number, d.sha256) for d in _of(records, s.DocumentVersion)} == {
        (str(d), n, sha) for d, n, sha in versions
    }
    assert _of(records, s.DossierStatus) == [s.DossierStatus(case, status)]
    ledger = _of(records, s.Entry)
    assert {e.event_id for e in ledger} == entry_ids
    assert all(set(e.facts) <= set(s.ENTRY_FIELDS) for e in ledger)
    # The ledger's view comes before the state: an audit indexes it first.
    kinds = [type(r) for r in records[1:]]
    assert kinds.index(s.Event) > max(i for i, k in enumerate(kinds) if k is s.Entry)


def test_evaluation_publishes_its_events_sheets_and_certificates(world: World, case: str) -> None:
    with world.evaluation.db.reader() as session:
        records = list(evaluation_export.export(session, {uuid.UUID(case)}))
        sheets = session.execute(
            select(ev.ScoreSheet.id, ev.ScoreSheet.revision)
            .join(ev.Evaluation, ev.ScoreSheet.evaluation_id == ev.Evaluation.id)
            .where(ev.Evaluation.dossier_id == uuid.UUID(case))
        ).all()
        certificates = session.execute(
            select(ev.Certificate.number, ev.Certificate.status).where(
                ev.Certificate.dossier_id == uuid.UUID(case)
            )
        ).all()
    events = _of(records, s.Event)
    assert {e.event_id for e in events} == {str(i) for i in outbox_ids(world.evaluation, case)}
    assert {(x.sheet_id, x.revision) for x in _of(records, s.ScoreSheet)} == {
        (str(i), r) for i, r in sheets
    }
    assert max(r for _, r in sheets) > 1  # the case revises a sheet
    assert [(c.number, c.status) for c in _of(records, s.Certificate)] == list(
        map(tuple, certificates)
    )
    assert certificates


def test_notification_publishes_its_events_and_final_emails(world: World, case: str) -> None:
    with world.notification.db.reader() as session:
        records = list(notification_export.export(session, {uuid.UUID(case)}))
        deliveries = session.execute(
            select(note.Delivery.id, note.Delivery.status).where(
                note.Delivery.dossier_id == uuid.UUID(case)
            )
        ).all()
    events = _of(records, s.Event)
    assert {e.event_id for e in events} == {str(i) for i in outbox_ids(world.notification, case)}
    final = {"sent": "sent", "failed_permanent": "failed"}
    expected = {(str(i), final[st]) for i, st in deliveries if st in final}
    assert expected
    assert {(e.delivery_id, e.outcome) for e in _of(records, s.Email)} == expected


def test_exported_files_reconcile_as_the_databases_do(
    world: World, case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for service in ("registration", "evaluation", "notification"):
        target = tmp_path / f"{service}.jsonl"
        argv = ["audit", "export-state", "--service", service, "--dossier", case, "-o", str(target)]
        assert cli.main(argv) == 0
    from_files = reconcile_exports(tmp_path)
    urls = {
        name: getattr(world, name).db.url for name in ("registration", "evaluation", "notification")
    }
    from_databases = audit.reconcile_urls(urls, {uuid.UUID(case)})
    assert from_files.clean and from_databases.clean, from_files.text()
    assert from_files.checked == from_databases.checked
    capsys.readouterr()
    assert cli.main(["audit", "reconcile", "--from", str(tmp_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clean"] is True

    # An email the file no longer shows: its entry is now without its state.
    emails = tmp_path / "notification.jsonl"
    lines = emails.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if json.loads(line)["type"] != "email"]
    assert len(kept) < len(lines)
    emails.write_text("\n".join(kept) + "\n", encoding="utf-8")
    assert cli.main(["audit", "reconcile", "--from", str(tmp_path)]) == 1
    sides = {(f.side, f.service) for f in reconcile_exports(tmp_path).findings}
    assert sides == {("entry without state", "notification")}


def test_reconcile_from_refuses_an_incomplete_directory(tmp_path: Path, case: str) -> None:
    assert cli.main(["audit", "reconcile", "--from", str(tmp_path)]) == 2
    target = tmp_path / "registration.jsonl"
    argv = ["audit", "export-state", "--service", "registration", "--dossier", case, "-o"]
    assert cli.main([*argv, str(target)]) == 0
    assert cli.main(["audit", "reconcile", "--from", str(tmp_path)]) == 2  # the others missing
    assert cli.main(["audit", "export-state", "--service", "portal"]) == 2
