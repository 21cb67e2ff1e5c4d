"""The audit state format (shared/audit/state.py) and the comparison over it
(shared/audit/reconcile.py), without a database."""

from __future__ import annotations

import io

import pytest

from shared.audit import state as s
from shared.audit.reconcile import reconcile

D = "0190f0a0-0000-7000-8000-000000000001"


def _entry(kind: str, event: str, **facts: object) -> s.Entry:
    return s.Entry("registration", event, kind, D, dict(facts))


def test_records_round_trip_as_json_lines() -> None:
    records: list[s.Record] = [
        s.header("registration", [D]),
        _entry("dossier.document_added", "e1", document_id="d", document_version=1, sha256="ab"),
        s.Event("registration", "e1", "dossier.document_added", D, True),
        s.DocumentVersion(D, "d", 1, "ab"),
        s.DossierStatus(D, "draft"),
        s.ScoreSheet(D, "sh", 2),
        s.Certificate(D, "OCOP-1", "valid"),
        s.Email(D, "m", "sent"),
    ]
    out = io.StringIO()
    assert s.write(records, out) == len(records)
    assert list(s.read(io.StringIO(out.getvalue()))) == records


def test_a_later_version_or_a_headless_file_is_refused() -> None:
    later = s.dumps(s.Header("evaluation", version=9))
    with pytest.raises(s.StateFormatError):
        list(s.read([later]))
    with pytest.raises(s.StateFormatError):
        list(s.read([s.dumps(s.DossierStatus(D, "draft"))]))
    with pytest.raises(s.StateFormatError):
        s.loads('{"type": "email", "dossier_id": "x"}')


def test_both_sides_are_found_and_counted() -> None:
    ledger = [
        _entry("dossier.document_added", "e1", document_id="d", document_version=1, sha256="ab"),
        _entry("dossier.submitted", "e2", version=2, to_status="submitted"),
        s.Entry("notification", "e3", "notification.sent", D, {"delivery_id": "gone"}),
    ]
    states: dict[str, list[s.Record]] = {
        "registration": [
            s.Event("registration", "e1", "dossier.document_added", D, True),
            s.Event("registration", "e2", "dossier.submitted", D, True),
            s.Event("registration", "e9", "dossier.returned", D, False),
            s.DocumentVersion(D, "d", 1, "ab"),
            s.DossierStatus(D, "returned"),
        ],
        "evaluation": [s.ScoreSheet(D, "sh", 1)],
        "notification": [],
    }
    result = reconcile(ledger, states)
    assert [f.text() for f in result.findings] == [
        f"state without entry: registration dossier {D}: dossier.returned e9 (not yet published)",
        f"entry without state: notification dossier {D}: notification.sent e3: no such event "
        "was committed",
        f"state without entry: registration dossier {D}: status returned, the ledger says "
        "submitted",
        f"state without entry: evaluation dossier {D}: score sheet sh revision 1",
        "entry without state: notification dossier ?: notification.sent delivery gone",
    ]
    assert result.checked == {
        "entries": 3,
        "registration events": 3,
        "document versions": 1,
        "dossiers": 1,
        "sheet revisions": 1,
    }
