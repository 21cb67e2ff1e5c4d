"""The state a service answers for, in a neutral, versioned format (docs/adr/0006).

Each service publishes, from its own tables, the events it committed about dossiers (its outbox)
and the objects the case-file ledger should record; registration publishes also the ledger's view
(its entries, reduced to what an audit compares). The records travel as JSON lines, one record a
line after a header naming the service, the format's version and the dossiers exported (all of
them when none are named): an export is streamed, never one list of millions of entries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field, fields
from typing import IO, Any

FORMAT = "ocop-audit-state"
VERSION = 1

#: The fields of a ledger entry's payload an audit compares (the rest stays in the ledger:
#: an export of the ledger's view carries no names, addresses or scores).
ENTRY_FIELDS = (
    "document_id",
    "document_version",
    "sha256",
    "sheet_id",
    "revision",
    "number",
    "delivery_id",
    "version",
    "to_status",
)


class StateFormatError(ValueError):
    """A line that is not a record of this format (or of a later version of it)."""


@dataclass(frozen=True, slots=True)
class Header:
    """The first line of an export: whose state, in which version, for which dossiers."""

    service: str
    dossiers: tuple[str, ...] | None = None
    format: str = FORMAT
    version: int = VERSION


@dataclass(frozen=True, slots=True)
class Event:
    """An event the service committed about a dossier (its outbox row)."""

    producer: str
    event_id: str
    kind: str
    dossier_id: str
    published: bool


@dataclass(frozen=True, slots=True)
class Entry:
    """A ledger entry as an audit reads it: the event it files and the ``ENTRY_FIELDS`` of its
    payload."""

    producer: str
    event_id: str
    kind: str
    dossier_id: str
    facts: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DocumentVersion:
    dossier_id: str
    document_id: str
    number: int
    sha256: str


@dataclass(frozen=True, slots=True)
class DossierStatus:
    dossier_id: str
    status: str


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """A score sheet at its latest revision (revisions 1 to ``revision`` were each filed)."""

    dossier_id: str
    sheet_id: str
    revision: int


@dataclass(frozen=True, slots=True)
class Certificate:
    dossier_id: str
    number: str
    status: str


@dataclass(frozen=True, slots=True)
class Email:
    """An email delivery about a dossier that reached its final outcome ("sent" or "failed")."""

    dossier_id: str
    delivery_id: str
    outcome: str


Record = Header | Event | Entry | DocumentVersion | DossierStatus | ScoreSheet | Certificate | Email

TYPES: dict[str, type[Record]] = {
    "header": Header,
    "event": Event,
    "entry": Entry,
    "document_version": DocumentVersion,
    "dossier_status": DossierStatus,
    "score_sheet": ScoreSheet,
    "certificate": Certificate,
    "email": Email,
}
_NAMES = {kind: name for name, kind in TYPES.items()}


def dumps(record: Record) -> str:
    return json.dumps({"type": _NAMES[type(record)], **asdict(record)}, ensure_ascii=False)


def loads(line: str) -> Record:
    try:
        data = json.loads(line)
        kind = TYPES[data.pop("type")]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise StateFormatError(f"not an audit state record: {line[:80]!r}") from exc
    names = {f.name for f in fields(kind)}
    if kind is Header and data.get("dossiers") is not None:
        data["dossiers"] = tuple(data["dossiers"])
    try:
        record = kind(**{k: v for k, v in data.items() if k in names})
    except TypeError as exc:
        raise StateFormatError(f"incomplete {_NAMES[kind]} record: {line[:80]!r}") from exc
    if isinstance(record, Header) and (record.format != FORMAT or record.version > VERSION):
        raise StateFormatError(f"{record.format} version {record.version}: not readable here")
    return record


def header(service: str, dossiers: Iterable[object] | None) -> Header:
    return Header(service, None if dossiers is None else tuple(sorted(str(d) for d in dossiers)))


def write(records: Iterable[Record], stream: IO[str]) -> int:
    """Write ``records`` as JSON lines; returns how many."""
    n = 0
    for record in records:
        stream.write(dumps(record) + "\n")
        n += 1
    return n


def read(lines: Iterable[str]) -> Iterator[Record]:
    """The records of an export, its header first (an export without one is refused)."""
    first = True
    for line in lines:
        if not line.strip():
            continue
        record = loads(line)
        if first and not isinstance(record, Header):
            raise StateFormatError("an audit state export starts with its header")
        first = False
        yield record
