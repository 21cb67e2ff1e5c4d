"""Reconciliation: each service's published state against the ledger's (``ocop audit
reconcile``, docs/adr/0006). It compares records (``shared.audit.state``), wherever they come
from: each service's export read from its database, or export files an auditor was given. Two
sides:

- state without its entry: an event a service committed about a dossier (its outbox row,
  written in the transaction of the state change) that the ledger lacks; a document version,
  score sheet revision, certificate, revocation or email that no entry records; a dossier whose
  status is not the one its latest entry gives;
- an entry without its state: an entry whose event no service committed, or whose object
  (document version and hash, sheet revision, certificate, delivery) does not exist.

The ledger is read first and indexed (one pass); each service's records are then streamed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.audit import state as s

#: The ledger's own entry of a reader opening a case file (registration's ``writer``): no
#: service commits it as an event.
CASE_FILE_READ = "case_file.read"
STATUS_KINDS = (
    "dossier.submitted",
    "dossier.resubmitted",
    "dossier.returned",
    "dossier.accepted",
    "dossier.withdrawn",
)
FINAL_EMAIL = {"sent": "notification.sent", "failed": "notification.failed"}

STATE = "state without entry"
ENTRY = "entry without state"
#: The order findings are reported in (as the checks ran when they read each table in turn).
_ORDER = (
    "event",
    "entry",
    "document",
    "document entry",
    "status",
    "sheet",
    "sheet entry",
    "certificate",
    "certificate entry",
    "email",
    "email entry",
)


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
    """What the ledger says, indexed for the comparisons."""

    events: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    documents: set[tuple[str, int, str]] = field(default_factory=set)
    sheets: set[tuple[str, int]] = field(default_factory=set)
    certificates: dict[str, set[str]] = field(default_factory=dict)
    emails: set[tuple[str, str]] = field(default_factory=set)
    status: dict[str, tuple[int, str]] = field(default_factory=dict)

    def add(self, entry: s.Entry) -> None:
        kind, facts, dossier = entry.kind, entry.facts, entry.dossier_id
        self.events[entry.event_id] = (entry.producer, kind, dossier)
        if kind == "dossier.document_added":
            self.documents.add((facts["document_id"], facts["document_version"], facts["sha256"]))
        elif kind in ("evaluation.sheet_submitted", "evaluation.sheet_revised"):
            self.sheets.add((facts["sheet_id"], facts["revision"]))
        elif kind.startswith("certificate."):
            self.certificates.setdefault(facts["number"], set()).add(kind)
        elif kind in FINAL_EMAIL.values():
            self.emails.add((facts["delivery_id"], kind))
        if kind in STATUS_KINDS:
            seen = self.status.get(dossier)
            if seen is None or facts["version"] > seen[0]:
                self.status[dossier] = (facts["version"], facts["to_status"])


class _Comparison:
    """One service's records after another against the indexed ledger."""

    def __init__(self) -> None:
        self.result = Reconciliation()
        self.ledger = _Ledger()
        self.produced: dict[str, set[str]] = {}
        self.documents: set[tuple[str, int, str]] = set()
        self.sheets: set[tuple[str, int]] = set()
        self.certificates: set[str] = set()
        self.emails: set[tuple[str, str]] = set()
        self.found: list[tuple[int, Finding]] = []
        self.checks: dict[type, Callable[[Any], None]] = {
            s.Event: self.event,
            s.DocumentVersion: self.document,
            s.DossierStatus: self.status,
            s.ScoreSheet: self.sheet,
            s.Certificate: self.certificate,
            s.Email: self.email,
        }

    def find(self, check: str, side: str, service: str, dossier: str, what: str) -> None:
        self.found.append((_ORDER.index(check), Finding(side, service, dossier, what)))

    def state(self, service: str, records: Iterable[s.Record]) -> None:
        self.produced.setdefault(service, set())
        for record in records:
            check = self.checks.get(type(record))
            if check is not None:  # a header, or an entry in registration's file: not state
                check(record)

    def event(self, e: s.Event) -> None:
        self.produced.setdefault(e.producer, set()).add(e.event_id)
        self.result.count(f"{e.producer} events")
        if e.event_id not in self.ledger.events:
            published = "published" if e.published else "not yet published"
            self.find(
                "event", STATE, e.producer, e.dossier_id, f"{e.kind} {e.event_id} ({published})"
            )

    def document(self, d: s.DocumentVersion) -> None:
        key = (d.document_id, d.number, d.sha256)
        self.documents.add(key)
        self.result.count("document versions")
        if key not in self.ledger.documents:
            what = f"document {d.document_id} v{d.number} ({d.sha256[:12]}…)"
            self.find("document", STATE, "registration", d.dossier_id, what)

    def status(self, d: s.DossierStatus) -> None:
        self.result.count("dossiers")
        recorded = self.ledger.status.get(d.dossier_id)
        if d.status == "draft" and recorded is None:
            return
        if recorded is None or recorded[1] != d.status:
            said = recorded[1] if recorded else "nothing"
            what = f"status {d.status}, the ledger says {said}"
            self.find("status", STATE, "registration", d.dossier_id, what)

    def sheet(self, sheet: s.ScoreSheet) -> None:
        for number in range(1, sheet.revision + 1):
            self.sheets.add((sheet.sheet_id, number))
            self.result.count("sheet revisions")
            if (sheet.sheet_id, number) not in self.ledger.sheets:
                what = f"score sheet {sheet.sheet_id} revision {number}"
                self.find("sheet", STATE, "evaluation", sheet.dossier_id, what)

    def certificate(self, c: s.Certificate) -> None:
        self.certificates.add(c.number)
        self.result.count("certificates")
        kinds = self.ledger.certificates.get(c.number, set())
        wanted = {"certificate.issued"} | (
            {f"certificate.{c.status}"} if c.status in ("revoked", "expired") else set()
        )
        for kind in sorted(wanted - kinds):
            self.find("certificate", STATE, "evaluation", c.dossier_id, f"{kind} of {c.number}")

    def email(self, e: s.Email) -> None:
        key = (e.delivery_id, FINAL_EMAIL[e.outcome])
        self.emails.add(key)
        self.result.count("emails")
        if key not in self.ledger.emails:
            what = f"{key[1]} delivery {e.delivery_id}"
            self.find("email", STATE, "notification", e.dossier_id, what)

    def entries_without_state(self) -> None:
        for event_id, (producer, kind, dossier) in self.ledger.events.items():
            if kind != CASE_FILE_READ and event_id not in self.produced.get(producer, set()):
                what = f"{kind} {event_id}: no such event was committed"
                self.find("entry", ENTRY, producer, dossier, what)
        for document, number, sha in self.ledger.documents - self.documents:
            what = f"document {document} v{number} ({sha[:12]}…)"
            self.find("document entry", ENTRY, "registration", "?", what)
        for sheet, number in self.ledger.sheets - self.sheets:
            what = f"score sheet {sheet} revision {number}"
            self.find("sheet entry", ENTRY, "evaluation", "?", what)
        for serial in set(self.ledger.certificates) - self.certificates:
            self.find("certificate entry", ENTRY, "evaluation", "?", f"certificate {serial}")
        for delivery, kind in self.ledger.emails - self.emails:
            self.find("email entry", ENTRY, "notification", "?", f"{kind} delivery {delivery}")


def reconcile(
    ledger: Iterable[s.Record], states: Mapping[str, Iterable[s.Record]]
) -> Reconciliation:
    """Compare each service's state (``states``: service → its records, consumed in turn) with
    the ledger's view (``ledger``: registration's entries; other records in it are skipped).
    Both sides must cover the same dossiers."""
    comparison = _Comparison()
    for record in ledger:
        if isinstance(record, s.Entry):
            comparison.ledger.add(record)
            comparison.result.count("entries")
    for service, records in states.items():
        comparison.state(service, records)
    comparison.entries_without_state()
    comparison.found.sort(key=lambda found: found[0])  # stable: each check's own order kept
    comparison.result.findings = [finding for _, finding in comparison.found]
    return comparison.result
