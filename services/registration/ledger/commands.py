"""``ocop audit …``: checkpoint, export, verify online (the offline verifier is
``shared.ledger.__main__``, which needs no database; reconcile is the audit tool's,
``services/audit.py``)."""

from __future__ import annotations

import json
import sys
import uuid
from pathlib import Path

from services.registration.ledger import checkpoints, export
from services.registration.ledger import verify as ledger_verify
from services.registration.runtime import Registration
from shared.ledger import casefile


def checkpoint(rt: Registration) -> int:
    with rt.db.unit_of_work() as uow:
        made = checkpoints.make(uow.session)
        uow.commit()
    print(f"checkpoint #{made.number} at seq {made.seq}" if made else "head already signed")
    return 0


def export_case(rt: Registration, dossier: str | None, output: str | None) -> int:
    dossier_id = _dossier(dossier or "")
    if dossier_id is None:
        return 2
    with rt.db.unit_of_work() as uow:
        export.ensure_covered(uow.session, dossier_id)
        uow.commit()
    with rt.db.reader() as session:
        case = export.load(session, dossier_id)
        if not case.rows:
            print(f"{dossier}: no case file", file=sys.stderr)
            return 1
        data = export.archive(case)
    target = Path(output or f"case-file-{dossier_id}.zip")
    target.write_bytes(data)
    print(f"wrote {target} ({len(case.rows)} entries)")
    return 0


def verify_online(rt: Registration, dossier: str | None, as_json: bool) -> int:
    with rt.db.reader() as session:
        report: ledger_verify.LedgerReport | casefile.Report
        if dossier is None:
            report = ledger_verify.verify_ledger(session)
        else:
            dossier_id = _dossier(dossier)
            if dossier_id is None:
                return 2
            report = ledger_verify.verify_case(session, dossier_id)
    print(json.dumps(report.to_dict(), ensure_ascii=False) if as_json else report.text())
    return 0 if report.valid else 1


def _dossier(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        print(f"{text!r} is not a dossier id", file=sys.stderr)
        return None
