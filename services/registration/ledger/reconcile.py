"""Reconciliation: each service's current state against the ledger (``ocop audit reconcile``).

An audit tool, not a service path: it reads the evaluation and notification databases through
their configured URLs, read-only, with their own table definitions (docs/adr/0006). Two sides:

- state without its entry: an event a service committed about a dossier (its outbox row,
  written in the transaction of the state change) that the ledger lacks; a document version,
  score sheet revision, certificate, revocation or email that no entry records; a dossier whose
  status is not the one its latest entry gives;
- an entry without its state: an entry whose event no service committed, or whose object
  (document version and hash, sheet revision, certificate, delivery) does not exist.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from services.evaluation import models as evaluation_models
from services.notification import models as notification_models
from services.registration import models as registration_models
from services.registration.ledger.writer import CASE_FILE_READ

E = registration_models.LedgerEntry
STATUS_KINDS = (
    "dossier.submitted",
    "dossier.resubmitted",
    "dossier.returned",
    "dossier.accepted",
    "dossier.withdrawn",
)
FINAL_EMAIL = {"sent": "notification.sent", "failed_permanent": "notification.failed"}


@dataclass(frozen=True, slots=True)
class Finding:
    side: str  # "state without entry" | "entry without state"
    service: str
    dossier_id: str
    what: str

    def text(self) -> str:
        return f"{self.side}: {self.service} dossier {self.dossier_id}: {self.what}"


@dataclass
class Reconciliation:
    findings: list[Finding] = field(default_factory=list)
    checked: dict[str, int] = field(default_factory=dict)

    @property
    def clean(self) -> bool:
        return not self.findings

    def count(self, name: str, n: int = 1) -> None:
        self.checked[name] = self.checked.get(name, 0) + n

    def to_dict(self) -> dict[str, Any]:
        return {
            "clean": self.clean,
            "checked": self.checked,
            "findings": [
                {"side": f.side, "service": f.service, "dossier_id": f.dossier_id, "what": f.what}
                for f in self.findings
            ],
        }

    def text(self) -> str:
        counts = ", ".join(f"{n} {name}" for name, n in sorted(self.checked.items()))
        if self.clean:
            return f"CLEAN: checked {counts}"
        lines = [f"{len(self.findings)} finding(s); checked {counts}"]
        return "\n".join([*lines, *(f"  {f.text()}" for f in self.findings)])


@dataclass
class _Ledger:
    """What the ledger says, indexed for the comparisons (one pass over the entries)."""

    events: dict[uuid.UUID, tuple[str, str, str]] = field(default_factory=dict)
    documents: set[tuple[str, int, str]] = field(default_factory=set)
    sheets: set[tuple[str, int]] = field(default_factory=set)
    certificates: dict[str, set[str]] = field(default_factory=dict)
    emails: set[tuple[str, str]] = field(default_factory=set)
    status: dict[str, tuple[int, str]] = field(default_factory=dict)


def reconcile(
    *,
    registration: Session,
    evaluation: Session,
    notification: Session,
    dossiers: Collection[uuid.UUID] | None = None,
) -> Reconciliation:
    """Compare the three services' state with the ledger (optionally for some dossiers)."""
    result = Reconciliation()
    ledger = _read_ledger(registration, dossiers, result)
    in_scope = (lambda d: d in dossiers) if dossiers is not None else (lambda d: True)
    produced: dict[str, set[uuid.UUID]] = {}
    for service, session, outbox in (
        ("registration", registration, registration_models.outbox),
        ("evaluation", evaluation, evaluation_models.outbox),
        ("notification", notification, notification_models.outbox),
    ):
        produced[service] = _check_outbox(service, session, outbox, ledger, in_scope, result)
    for event_id, (producer, kind, dossier) in ledger.events.items():
        if kind != CASE_FILE_READ and event_id not in produced.get(producer, set()):
            result.findings.append(
                Finding(
                    "entry without state",
                    producer,
                    dossier,
                    f"{kind} {event_id}: no such event was committed",
                )
            )
    _check_registration(registration, ledger, dossiers, result)
    _check_evaluation(evaluation, ledger, dossiers, result)
    _check_notification(notification, ledger, dossiers, result)
    return result


def reconcile_urls(
    urls: Mapping[str, str], dossiers: Collection[uuid.UUID] | None = None
) -> Reconciliation:
    """``reconcile`` over the databases at ``urls`` (registration, evaluation, notification),
    read-only: ``ocop audit reconcile`` with the configured ones, an end-to-end test with its
    stack's."""
    from shared.db import Database

    databases = {s: Database(urls[s]) for s in ("registration", "evaluation", "notification")}
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


def _read_ledger(
    session: Session, dossiers: Collection[uuid.UUID] | None, result: Reconciliation
) -> _Ledger:
    ledger = _Ledger()
    query = select(E.event_id, E.body).order_by(E.seq).execution_options(yield_per=2000)
    if dossiers is not None:
        query = query.where(E.dossier_id.in_(list(dossiers)))
    for event_id, body in session.execute(query):
        entry = json.loads(body)
        kind, payload, dossier = entry["kind"], entry["payload"], entry["dossier_id"]
        ledger.events[event_id] = (entry["producer"], kind, dossier)
        result.count("entries")
        if kind == "dossier.document_added":
            ledger.documents.add(
                (payload["document_id"], payload["document_version"], payload["sha256"])
            )
        elif kind in ("evaluation.sheet_submitted", "evaluation.sheet_revised"):
            ledger.sheets.add((payload["sheet_id"], payload["revision"]))
        elif kind.startswith("certificate."):
            ledger.certificates.setdefault(payload["number"], set()).add(kind)
        elif kind in FINAL_EMAIL.values():
            ledger.emails.add((payload["delivery_id"], kind))
        if kind in STATUS_KINDS:
            seen = ledger.status.get(dossier)
            if seen is None or payload["version"] > seen[0]:
                ledger.status[dossier] = (payload["version"], payload["to_status"])
    return ledger


def _check_outbox(
    service: str,
    session: Session,
    outbox: Table,
    ledger: _Ledger,
    in_scope: Any,
    result: Reconciliation,
) -> set[uuid.UUID]:
    """Every committed event about a dossier has its entry; returns the ids committed."""
    ids: set[uuid.UUID] = set()
    rows = session.execute(
        select(outbox.c.event_id, outbox.c.type, outbox.c.envelope, outbox.c.published_at)
    )
    for event_id, kind, envelope, published_at in rows:
        dossier = envelope.get("dossier_id") or envelope.get("payload", {}).get("dossier_id")
        if not dossier or not in_scope(uuid.UUID(dossier)):
            continue
        ids.add(event_id)
        result.count(f"{service} events")
        if event_id not in ledger.events:
            state = "not yet published" if published_at is None else "published"
            result.findings.append(
                Finding("state without entry", service, dossier, f"{kind} {event_id} ({state})")
            )
    return ids


def _scoped(query: Any, column: Any, dossiers: Collection[uuid.UUID] | None) -> Any:
    return query if dossiers is None else query.where(column.in_(list(dossiers)))


def _check_registration(
    session: Session,
    ledger: _Ledger,
    dossiers: Collection[uuid.UUID] | None,
    result: Reconciliation,
) -> None:
    m = registration_models
    versions = session.execute(
        _scoped(
            select(
                m.Document.dossier_id,
                m.Document.id,
                m.DocumentVersion.number,
                m.DocumentVersion.sha256,
            ).join(m.DocumentVersion),
            m.Document.dossier_id,
            dossiers,
        )
    ).all()
    stored = set()
    for dossier, document, number, sha in versions:
        key = (str(document), number, sha)
        stored.add(key)
        result.count("document versions")
        if key not in ledger.documents:
            result.findings.append(
                Finding(
                    "state without entry",
                    "registration",
                    str(dossier),
                    f"document {document} v{number} ({sha[:12]}…)",
                )
            )
    for document, number, sha in ledger.documents - stored:
        result.findings.append(
            Finding(
                "entry without state",
                "registration",
                "?",
                f"document {document} v{number} ({sha[:12]}…)",
            )
        )
    statuses = session.execute(
        _scoped(select(m.Dossier.id, m.Dossier.status), m.Dossier.id, dossiers)
    ).all()
    for dossier, status in statuses:
        result.count("dossiers")
        recorded = ledger.status.get(str(dossier))
        if status == "draft" and recorded is None:
            continue
        if recorded is None or recorded[1] != status:
            said = recorded[1] if recorded else "nothing"
            result.findings.append(
                Finding(
                    "state without entry",
                    "registration",
                    str(dossier),
                    f"status {status}, the ledger says {said}",
                )
            )


def _check_evaluation(
    session: Session,
    ledger: _Ledger,
    dossiers: Collection[uuid.UUID] | None,
    result: Reconciliation,
) -> None:
    m = evaluation_models
    sheets = session.execute(
        _scoped(
            select(m.Evaluation.dossier_id, m.ScoreSheet.id, m.ScoreSheet.revision).join(
                m.Evaluation, m.ScoreSheet.evaluation_id == m.Evaluation.id
            ),
            m.Evaluation.dossier_id,
            dossiers,
        )
    ).all()
    stored: set[tuple[str, int]] = set()
    for dossier, sheet, revision in sheets:
        for number in range(1, revision + 1):
            stored.add((str(sheet), number))
            result.count("sheet revisions")
            if (str(sheet), number) not in ledger.sheets:
                result.findings.append(
                    Finding(
                        "state without entry",
                        "evaluation",
                        str(dossier),
                        f"score sheet {sheet} revision {number}",
                    )
                )
    for sheet, number in ledger.sheets - stored:
        result.findings.append(
            Finding(
                "entry without state", "evaluation", "?", f"score sheet {sheet} revision {number}"
            )
        )
    certificates = session.execute(
        _scoped(
            select(m.Certificate.dossier_id, m.Certificate.number, m.Certificate.status),
            m.Certificate.dossier_id,
            dossiers,
        )
    ).all()
    numbers: set[str] = set()
    for dossier, serial, status in certificates:
        numbers.add(serial)
        result.count("certificates")
        kinds = ledger.certificates.get(serial, set())
        wanted = {"certificate.issued"} | (
            {f"certificate.{status}"} if status in ("revoked", "expired") else set()
        )
        for kind in sorted(wanted - kinds):
            result.findings.append(
                Finding("state without entry", "evaluation", str(dossier), f"{kind} of {serial}")
            )
    for serial in set(ledger.certificates) - numbers:
        result.findings.append(
            Finding("entry without state", "evaluation", "?", f"certificate {serial}")
        )


def _check_notification(
    session: Session,
    ledger: _Ledger,
    dossiers: Collection[uuid.UUID] | None,
    result: Reconciliation,
) -> None:
    d = notification_models.Delivery
    rows: Iterable[Any] = session.execute(
        _scoped(
            select(d.dossier_id, d.id, d.status).where(
                d.dossier_id.is_not(None), d.status.in_(list(FINAL_EMAIL))
            ),
            d.dossier_id,
            dossiers,
        )
    ).all()
    stored = set()
    for dossier, delivery, status in rows:
        key = (str(delivery), FINAL_EMAIL[status])
        stored.add(key)
        result.count("emails")
        if key not in ledger.emails:
            result.findings.append(
                Finding(
                    "state without entry",
                    "notification",
                    str(dossier),
                    f"{key[1]} delivery {delivery}",
                )
            )
    for delivery, kind in ledger.emails - stored:
        result.findings.append(
            Finding("entry without state", "notification", "?", f"{kind} delivery {delivery}")
        )
