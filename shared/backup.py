"""``ocop backup`` and ``ocop restore`` for the embedded mode (SQLite files, embedded broker).

A backup is a directory: a consistent copy of each service's database and of the embedded
broker's, taken with SQLite's online backup API while the system runs (a file copy of a live
WAL database may be torn); the registration service's documents, copied after the databases so
that every document a copied row names is there; and ``manifest.json`` (what, when, each
database's schema revision, the SHA-256 of every file), written last, so a backup cut short has
none and is refused. PostgreSQL is the DBA's procedure (docs/operations.md#backups): base
backups with WAL archiving, which a copy taken here could only half do.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from shared import config

MANIFEST = "manifest.json"
FORMAT = 1
GUIDE = "docs/operations.md#backups"
REPUBLISH_MARGIN = timedelta(minutes=1)


class BackupError(RuntimeError):
    """A backup or restore that cannot be done as asked; nothing was changed."""


@dataclass(frozen=True, slots=True)
class Source:
    """One database of the data dir: where it lives, and its name in the backup."""

    name: str  # registration, evaluation, notification or broker
    path: Path

    @property
    def stored(self) -> str:
        return f"{self.name}.sqlite"


def _sqlite_path(url: str) -> Path | None:
    for prefix in ("sqla+sqlite:///", "sqlalchemy+sqlite:///", "sqlite:///"):
        if url.startswith(prefix):
            return Path(url.removeprefix(prefix).split("?", 1)[0])
    return None


def sources() -> tuple[list[Source], Path]:
    """The databases and the documents directory of this deployment's settings; refused
    unless every one is a SQLite file."""
    found: list[Source] = []
    other: list[str] = []
    for service in config.SERVICES:
        path = _sqlite_path(config.load(service).database_url)
        if path is None:
            other.append(f"OCOP_{service.upper()}_DATABASE_URL")
        else:
            found.append(Source(service, path))
    broker = _sqlite_path(config.broker_url())
    if broker is None:
        other.append("OCOP_BROKER_URL")
    else:
        found.append(Source("broker", broker))
    if other:
        raise BackupError(
            f"{', '.join(other)} not SQLite: ocop backup and restore are for the embedded mode; "
            f"on PostgreSQL and RabbitMQ follow {GUIDE} (base backups with WAL archiving)"
        )
    return found, config.load("registration").service_dir / "documents"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _revision(path: Path) -> str | None:
    with closing(sqlite3.connect(path)) as conn:
        has = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='alembic_version'"
        ).fetchone()
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone() if has else None
    return row[0] if row else None


def _snapshot(source: Path) -> sqlite3.Connection:
    """A read transaction on a live database: what its copy will hold (in WAL mode it holds no
    writer back)."""
    conn = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30, isolation_level=None)
    conn.execute("BEGIN")
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return conn


def _online_copy(snapshot: sqlite3.Connection, target: Path) -> None:
    """The snapshot's pages copied by SQLite's backup API, in one step."""
    dst = sqlite3.connect(target)
    try:
        snapshot.backup(dst)
        # The copy stands alone: no -wal beside it to be carried along.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()


def backup(target: Path) -> dict[str, Any]:
    """Write a backup of the running embedded deployment into ``target`` (new or empty)."""
    databases, documents = sources()
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"{target} is not empty: give a new directory for each backup")
    missing = [str(s.path) for s in databases if s.name != "broker" and not s.path.exists()]
    if missing:
        raise BackupError(f"no database at {', '.join(missing)} (is OCOP_DATA_DIR right?)")
    target.mkdir(parents=True, exist_ok=True)
    # Every database's read transaction opened first, one after the other, so the copies are
    # of one moment (within milliseconds) rather than a copy's length apart; the events of that
    # gap are published again by restore (``restore``: since ``taken_at`` less a margin).
    present = [s for s in databases if s.path.exists()]  # the broker's file: at first message
    taken_at = datetime.now(UTC)
    snapshots = [(source, _snapshot(source.path)) for source in present]
    files: list[dict[str, Any]] = []
    for source, snapshot in snapshots:
        stored = target / source.stored
        try:
            _online_copy(snapshot, stored)
        finally:
            snapshot.close()
        files.append(
            {
                "path": source.stored,
                "kind": "database",
                "name": source.name,
                "revision": _revision(stored) if source.name != "broker" else None,
                "sha256": _sha256(stored),
                "bytes": stored.stat().st_size,
            }
        )
    # After the databases: a document is written before the row that names it commits.
    if documents.is_dir():
        for path in sorted(documents.rglob("*")):
            if not path.is_file() or path.suffix == ".part":  # .part: an upload being written
                continue
            relative = Path("documents") / path.relative_to(documents)
            stored = target / relative
            stored.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, stored)
            files.append(
                {
                    "path": relative.as_posix(),
                    "kind": "document",
                    "sha256": _sha256(stored),
                    "bytes": stored.stat().st_size,
                }
            )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "taken_at": taken_at.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "data_dir": str(config.data_dir()),
        "files": files,
    }
    # Last: a backup without its manifest was cut short and is refused by restore.
    tmp = target / f"{MANIFEST}.part"
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, target / MANIFEST)
    return manifest


def check(backup_dir: Path) -> dict[str, Any]:
    """The manifest of ``backup_dir`` once every file it lists is there with its SHA-256, and
    nothing else is (else BackupError, saying what is wrong)."""
    try:
        manifest = json.loads((backup_dir / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise BackupError(f"{backup_dir}: no {MANIFEST} (not a backup, or one cut short)") from exc
    except (OSError, ValueError) as exc:
        raise BackupError(f"{backup_dir / MANIFEST}: unreadable ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{backup_dir / MANIFEST}: not a manifest of format {FORMAT}")
    problems: list[str] = []
    listed: set[str] = set()
    for entry in manifest.get("files", []):
        relative = str(entry.get("path", ""))
        path = backup_dir / relative
        listed.add(relative)
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            problems.append(f"{relative}: outside the backup")
        elif not path.is_file():
            problems.append(f"{relative}: missing")
        elif _sha256(path) != entry.get("sha256"):
            problems.append(f"{relative}: SHA-256 differs from the manifest")
    extra = [
        p.relative_to(backup_dir).as_posix()
        for p in backup_dir.rglob("*")
        if p.is_file() and p.name != MANIFEST
    ]
    problems += [f"{p}: not in the manifest" for p in sorted(set(extra) - listed)]
    names = {e.get("name") for e in manifest.get("files", []) if e.get("kind") == "database"}
    problems += [f"{s}: no database in the backup" for s in config.SERVICES if s not in names]
    if problems:
        raise BackupError("the backup does not check out:\n  " + "\n  ".join(problems))
    return manifest


def in_use() -> list[str]:
    """What of this data dir a restore would overwrite."""
    databases, documents = sources()
    found = [str(s.path) for s in databases if s.path.exists()]
    if documents.is_dir() and any(p.is_file() for p in documents.rglob("*")):
        found.append(str(documents))
    return found


def restore(backup_dir: Path, *, force: bool = False) -> dict[str, Any]:
    """Put a checked backup in place of this deployment's databases and documents."""
    manifest = check(backup_dir)
    databases, documents = sources()
    occupied = in_use()
    if occupied and not force:
        raise BackupError(
            "the data dir holds data a restore would overwrite: "
            + ", ".join(occupied)
            + "; stop every process of it and give --force, or restore into a fresh data dir"
        )
    by_name = {s.name: s for s in databases}
    since = datetime.fromisoformat(manifest["taken_at"]) - REPUBLISH_MARGIN
    republished: dict[str, int] = {}
    for entry in manifest["files"]:
        if entry["kind"] != "database":
            continue
        target = by_name[entry["name"]].path
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup_dir / entry["path"], tmp)
        if entry["name"] == "broker":
            _forget_claims(tmp)
        else:
            republished[entry["name"]] = _publish_again(tmp, since)
        # A -wal or -shm left by the database replaced would be replayed into the restored one.
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        os.replace(tmp, target)
    _remove_unbacked(databases, {e["name"] for e in manifest["files"] if e["kind"] == "database"})
    _restore_documents(backup_dir, manifest, documents)
    return {**manifest, "republished": republished}


def _remove_unbacked(databases: list[Source], restored: set[str]) -> None:
    """A database the backup did not have is removed (the broker had none yet: nor has it now)."""
    for source in databases:
        if source.name not in restored:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{source.path}{suffix}").unlink(missing_ok=True)


def _restore_documents(backup_dir: Path, manifest: dict[str, Any], documents: Path) -> None:
    """The documents directory replaced by the backup's."""
    if documents.exists():
        shutil.rmtree(documents)
    for entry in manifest["files"]:
        if entry["kind"] == "document":
            target = documents / Path(entry["path"]).relative_to("documents")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(backup_dir / entry["path"], target)


def _publish_again(path: Path, since: datetime) -> int:
    """The outbox rows published shortly before the copies (``REPUBLISH_MARGIN``) marked
    unsent: a consumer copied a moment before the broker may have lacked what the broker's copy
    no longer held. The relays publish them again; inboxes drop what was already handled.
    (SQLite keeps the outbox's times as UTC text, which compares in order.)"""
    stamp = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    with closing(sqlite3.connect(path)) as conn, conn:
        return conn.execute(
            "UPDATE outbox SET published_at = NULL, claimed_by = NULL, claimed_until = NULL "
            "WHERE published_at >= ?",
            (stamp,),
        ).rowcount


def _forget_claims(path: Path) -> None:
    """The embedded broker's messages claimed at backup time belonged to workers of before:
    offered again at once rather than after the visibility timeout."""
    with closing(sqlite3.connect(path)) as conn, conn:
        if conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='kombu_message'"
        ).fetchone():
            conn.execute("UPDATE kombu_message SET visible = 1, timestamp = NULL WHERE visible = 0")
