"""The audit tool's composition (``ocop audit reconcile``, ``ocop audit export-state``): each
service's database opened read-only, that service's own export (``services/<service>/
audit_export.py``) read from it, and the records compared by ``shared.audit.reconcile``, which
knows no service. Like ``services.cli``, a composition root: it alone imports every service's
export, so no service imports another (docs/adr/0006)."""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path

from sqlalchemy.orm import Session

from services.evaluation import audit_export as evaluation_export
from services.notification import audit_export as notification_export
from services.registration import audit_export as registration_export
from shared import config
from shared.audit import state
from shared.audit.files import SERVICES, ExportsError, reconcile_exports
from shared.audit.reconcile import Reconciliation
from shared.audit.reconcile import reconcile as compare

Export = Callable[[Session, Collection[uuid.UUID] | None], Iterator[state.Record]]
EXPORTS: dict[str, Export] = {
    "registration": registration_export.export,
    "evaluation": evaluation_export.export,
    "notification": notification_export.export,
}


def reconcile(
    *,
    registration: Session,
    evaluation: Session,
    notification: Session,
    dossiers: Collection[uuid.UUID] | None = None,
) -> Reconciliation:
    """Compare the three services' state with the ledger (optionally for some dossiers), each
    read through its service's export from the session given."""
    return compare(
        registration_export.ledger(registration, dossiers),
        {
            "registration": registration_export.state(registration, dossiers),
            "evaluation": evaluation_export.state(evaluation, dossiers),
            "notification": notification_export.state(notification, dossiers),
        },
    )


def reconcile_urls(
    urls: Mapping[str, str], dossiers: Collection[uuid.UUID] | None = None
) -> Reconciliation:
    """``reconcile`` over the databases at ``urls`` (registration, evaluation, notification),
    read-only: ``ocop audit reconcile`` with the configured ones, an end-to-end test with its
    stack's."""
    from shared.db import Database

    databases = {s: Database(urls[s]) for s in SERVICES}
    try:
        with (
            databases["registration"].reader() as registration,
            databases["evaluation"].reader() as evaluation,
            databases["notification"].reader() as notification,
        ):
            return reconcile(
                registration=registration,
                evaluation=evaluation,
                notification=notification,
                dossiers=dossiers,
            )
    finally:
        for database in databases.values():
            database.dispose()


def _scope(dossier: str | None) -> tuple[bool, set[uuid.UUID] | None]:
    if dossier is None:
        return True, None
    try:
        return True, {uuid.UUID(dossier)}
    except ValueError:
        print(f"{dossier!r} is not a dossier id", file=sys.stderr)
        return False, None


def reconcile_command(as_json: bool, dossier: str | None, source: str | None) -> int:
    """``ocop audit reconcile [--dossier ID] [--from DIR]``: the configured databases, or the
    exports in DIR (whose scope is the one they were exported with)."""
    ok, scope = _scope(dossier)
    if not ok:
        return 2
    if source is not None:
        if dossier is not None:
            print("--from: the exports' own dossiers are compared; no --dossier", file=sys.stderr)
            return 2
        try:
            result = reconcile_exports(Path(source))
        except (OSError, ExportsError, state.StateFormatError) as exc:
            print(f"ocop audit reconcile: {exc}", file=sys.stderr)
            return 2
    else:
        result = reconcile_urls({s: config.load(s).database_url for s in SERVICES}, scope)
    print(json.dumps(result.to_dict(), ensure_ascii=False) if as_json else result.text())
    return 0 if result.clean else 1


def export_command(service: str | None, dossier: str | None, output: str | None) -> int:
    """``ocop audit export-state --service S [--dossier ID] [-o FILE]``: S's export as JSON
    lines, to FILE or the standard output."""
    if service not in EXPORTS:
        print(f"--service: one of {', '.join(EXPORTS)}", file=sys.stderr)
        return 2
    ok, scope = _scope(dossier)
    if not ok:
        return 2
    from shared.db import Database

    database = Database(config.load(service).database_url)
    try:
        with database.reader() as session:
            records = EXPORTS[service](session, scope)
            if output is None:
                written = state.write(records, sys.stdout)
            else:
                with open(output, "w", encoding="utf-8") as stream:
                    written = state.write(records, stream)
    finally:
        database.dispose()
    print(f"{service}: {written - 1} records", file=sys.stderr)
    return 0
