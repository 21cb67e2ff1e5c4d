"""The exported case file (one zip archive) and its offline verifier.

Layout, all UTF-8:

- ``manifest.json``: format, dossier id, when exported, how many entries;
- ``entries.jsonl``: each entry's canonical body, one per line: exactly the bytes hashed;
- ``links.csv``: ``seq,n,case_hash,global_prev,global_hash`` per entry (hex);
- ``bridge.csv``: ``seq,dossier_id,case_hash,global_hash`` of the other cases' entries from
  this case's last entry up to the checkpoint that covers it;
- ``checkpoint.json``: that checkpoint's statement and Ed25519 signature (absent if none
  covers the case yet);
- ``public_key.pem``: the ledger's public key (pin it out of band: ``--key``).

The verifier needs nothing but this archive (and optionally a trusted key): it reports the case
valid, or the first broken entry and why.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.ledger import checkpoint as checkpoints
from shared.ledger.canonical import canonical
from shared.ledger.chain import Break, CaseRow, GlobalRow, check_bridge, check_case

FORMAT = "ocop-case-file/1"
LINK_FIELDS = ("seq", "n", "case_hash", "global_prev", "global_hash")
BRIDGE_FIELDS = ("seq", "dossier_id", "case_hash", "global_hash")


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    statement: bytes
    signature: str


@dataclass
class CaseFile:
    dossier_id: uuid.UUID
    exported_at: str
    rows: list[CaseRow]
    bridge: list[GlobalRow]
    checkpoint: SignedCheckpoint | None
    public_key_pem: bytes
    declared_entries: int


@dataclass
class Report:
    """What the verifier found: ``valid`` only if every entry holds and a signed checkpoint
    covers the last one."""

    dossier_id: str | None
    entries: int = 0
    valid: bool = False
    problem: str | None = None
    seq: int | None = None
    n: int | None = None
    kind: str | None = None
    checkpoint: dict[str, Any] | None = None
    key_fingerprint: str | None = None
    # Whether a signed checkpoint vouches for the last entry (entries appended since the latest
    # checkpoint are chained but not yet signed).
    covered: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dossier_id": self.dossier_id,
            "valid": self.valid,
            "entries": self.entries,
            "problem": self.problem,
            "seq": self.seq,
            "n": self.n,
            "kind": self.kind,
            "checkpoint": self.checkpoint,
            "key_fingerprint": self.key_fingerprint,
            "covered": self.covered,
            "notes": self.notes,
        }

    def text(self) -> str:
        if self.valid and not self.covered:
            return f"VALID (not yet signed): case {self.dossier_id}, {self.entries} entries"
        if self.valid:
            cp = self.checkpoint or {}
            return (
                f"VALID: case {self.dossier_id}, {self.entries} entries, covered by checkpoint "
                f"#{cp.get('number')} (seq {cp.get('seq')}, signed {cp.get('signed_at')}), "
                f"key {self.key_fingerprint}"
            )
        where = ", ".join(
            p
            for p in (
                f"entry {self.n}" if self.n is not None else "",
                f"seq {self.seq}" if self.seq is not None else "",
                self.kind or "",
            )
            if p
        )
        return f"BROKEN: case {self.dossier_id}: {where + ': ' if where else ''}{self.problem}"


class CaseFileError(Exception):
    """The archive cannot be read as a case file at all."""


# --- writing --------------------------------------------------------------------------------


def build(
    *,
    dossier_id: uuid.UUID,
    exported_at: str,
    rows: Sequence[CaseRow],
    bridge: Iterable[GlobalRow],
    checkpoint: SignedCheckpoint | None,
    public_key_pem: str,
) -> bytes:
    """The zip archive of one case file."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        manifest = {
            "format": FORMAT,
            "dossier_id": str(dossier_id),
            "exported_at": exported_at,
            "entries": len(rows),
        }
        archive.writestr("manifest.json", canonical(manifest))
        archive.writestr("entries.jsonl", b"".join(body + b"\n" for _s, _n, body, *_ in rows))
        links = io.StringIO()
        writer = csv.writer(links, lineterminator="\n")
        writer.writerow(LINK_FIELDS)
        for seq, n, _body, case_hash, global_prev, global_hash in rows:
            writer.writerow((seq, n, case_hash.hex(), global_prev.hex(), global_hash.hex()))
        archive.writestr("links.csv", links.getvalue())
        rest = io.StringIO()
        writer = csv.writer(rest, lineterminator="\n")
        writer.writerow(BRIDGE_FIELDS)
        for seq, dossier, case_hash, global_hash in bridge:
            writer.writerow(
                (seq, str(uuid.UUID(bytes=dossier)), case_hash.hex(), global_hash.hex())
            )
        archive.writestr("bridge.csv", rest.getvalue())
        if checkpoint is not None:
            signed = {
                "statement": checkpoint.statement.decode("utf-8"),
                "signature": checkpoint.signature,
            }
            archive.writestr("checkpoint.json", canonical(signed))
        archive.writestr("public_key.pem", public_key_pem)
    return buffer.getvalue()


# --- reading --------------------------------------------------------------------------------


def read(data: bytes) -> CaseFile:
    """Parse an archive; raises CaseFileError when it is not a readable case file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            manifest = json.loads(archive.read("manifest.json"))
            if manifest.get("format") != FORMAT:
                raise CaseFileError(f"not a case file (format {manifest.get('format')!r})")
            bodies = archive.read("entries.jsonl").split(b"\n")
            links = list(csv.DictReader(io.StringIO(archive.read("links.csv").decode())))
            bridge = list(csv.DictReader(io.StringIO(archive.read("bridge.csv").decode())))
            signed = None
            if "checkpoint.json" in names:
                raw = json.loads(archive.read("checkpoint.json"))
                signed = SignedCheckpoint(raw["statement"].encode("utf-8"), raw["signature"])
            pem = archive.read("public_key.pem")
    except (KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise CaseFileError(f"unreadable case file: {exc}") from exc
    if bodies and bodies[-1] == b"":
        bodies.pop()
    if len(bodies) != len(links):
        raise CaseFileError(f"{len(bodies)} entries but {len(links)} links")
    try:
        rows = [
            (
                int(link["seq"]),
                int(link["n"]),
                body,
                bytes.fromhex(link["case_hash"]),
                bytes.fromhex(link["global_prev"]),
                bytes.fromhex(link["global_hash"]),
            )
            for body, link in zip(bodies, links, strict=True)
        ]
        rest = [
            (
                int(r["seq"]),
                uuid.UUID(r["dossier_id"]).bytes,
                bytes.fromhex(r["case_hash"]),
                bytes.fromhex(r["global_hash"]),
            )
            for r in bridge
        ]
        return CaseFile(
            dossier_id=uuid.UUID(manifest["dossier_id"]),
            exported_at=str(manifest.get("exported_at")),
            rows=rows,
            bridge=rest,
            checkpoint=signed,
            public_key_pem=pem,
            declared_entries=int(manifest["entries"]),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise CaseFileError(f"unreadable case file: {exc}") from exc


# --- verifying ------------------------------------------------------------------------------


def verify(
    case: CaseFile, trusted_key: Ed25519PublicKey | None = None, *, require_checkpoint: bool = True
) -> Report:
    """Check every entry, the link to the covering checkpoint and its signature. Online checks
    pass ``require_checkpoint=False``: a tail not yet signed is then a note, not a failure."""
    report = Report(dossier_id=str(case.dossier_id), entries=len(case.rows))
    dossier = case.dossier_id.bytes
    if case.declared_entries != len(case.rows):
        return _fail(report, None, f"manifest says {case.declared_entries} entries")
    broken, last = check_case(case.rows, dossier)
    if broken is None:
        broken = _check_bodies(case)
    if broken is not None:
        return _fail(report, broken, None, case)
    return _check_signed(case, report, last, trusted_key, require_checkpoint)


def _check_signed(
    case: CaseFile,
    report: Report,
    last: CaseRow | None,
    trusted_key: Ed25519PublicKey | None,
    require_checkpoint: bool,
) -> Report:
    """The checkpoint's signature, and the global links from the last entry it covers to it."""
    if case.checkpoint is None:
        # Nothing is signed yet, so there is no key to load either (a ledger before its first
        # checkpoint has none published).
        if not require_checkpoint:
            report.valid = True
            report.notes.append("no signed checkpoint covers the last entries yet")
            return report
        return _fail(report, None, "no signed checkpoint covers this case file yet")
    try:
        key = trusted_key or checkpoints.load_public_pem(case.public_key_pem)
    except (checkpoints.CheckpointError, ValueError) as exc:
        return _fail(report, None, f"public key: {exc}")
    report.key_fingerprint = checkpoints.fingerprint(key)
    try:
        statement = checkpoints.verify(case.checkpoint.statement, case.checkpoint.signature, key)
    except checkpoints.CheckpointError as exc:
        return _fail(report, None, f"checkpoint: {exc}")
    report.checkpoint = {
        "number": statement.number,
        "seq": statement.seq,
        "head": statement.head,
        "signed_at": statement.signed_at,
    }
    if last is None:
        return _fail(report, None, "the case file holds no entries")
    if statement.seq < last[0]:
        if require_checkpoint:
            return _fail(
                report,
                Break(
                    last[0],
                    last[1],
                    f"not covered: checkpoint #{statement.number} stops at seq {statement.seq} "
                    "(stale checkpoint?)",
                ),
                None,
                case,
            )
        # Online: the entries up to the latest checkpoint must reach it; the rest is a note.
        signed_rows = [row for row in case.rows if row[0] <= statement.seq]
        report.notes.append(f"entries after seq {statement.seq} are not yet signed")
        if not signed_rows:
            report.valid = True
            return report
        last = signed_rows[-1]
    return _check_reaches(case, report, last, statement)


def _check_reaches(
    case: CaseFile, report: Report, last: CaseRow, statement: checkpoints.Statement
) -> Report:
    """The global links from the last entry signed must reach the checkpoint's signed head."""
    last_seq, start = last[0], last[5]
    broken, reached_seq, head = check_bridge(
        start, case.bridge, after_seq=last_seq, dossier=case.dossier_id.bytes
    )
    if broken is not None:
        return _fail(report, broken, None, case)
    if reached_seq != statement.seq or head.hex() != statement.head:
        return _fail(
            report,
            Break(
                reached_seq,
                None,
                f"the chain does not reach checkpoint #{statement.number}'s signed head",
            ),
            None,
            case,
        )
    report.valid = True
    report.covered = not report.notes
    return report


def _check_bodies(case: CaseFile) -> Break | None:
    """Each body names the case, its place and sequence number that its link says."""
    expected = str(case.dossier_id)
    for seq, n, body, *_ in case.rows:
        try:
            data = json.loads(body)
        except ValueError:
            return Break(seq, n, "entry is not JSON")
        if (data.get("dossier_id"), data.get("n"), data.get("seq")) != (expected, n, seq):
            return Break(seq, n, "entry names another case or place than its link")
    return None


def _fail(report: Report, broken: Break | None, problem: str | None, case: CaseFile | None = None):
    report.valid = False
    if broken is not None:
        report.problem, report.seq, report.n = broken.reason, broken.seq, broken.n
        if case is not None and broken.n is not None:
            report.kind = _kind_of(case, broken.n)
    else:
        report.problem = problem
    return report


def _kind_of(case: CaseFile, n: int) -> str | None:
    for _seq, row_n, body, *_ in case.rows:
        if row_n == n:
            try:
                return str(json.loads(body).get("kind"))
            except ValueError:
                return None
    return None


def verify_bytes(data: bytes, trusted_key_pem: bytes | None = None) -> Report:
    """Read and verify an archive; an unreadable archive is reported, not raised."""
    try:
        case = read(data)
        key = checkpoints.load_public_pem(trusted_key_pem) if trusted_key_pem else None
    except (CaseFileError, checkpoints.CheckpointError, ValueError) as exc:
        return Report(dossier_id=None, problem=str(exc))
    return verify(case, key)
