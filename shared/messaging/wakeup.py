"""Wake the outbox relay as soon as a transaction with events commits.

PostgreSQL: ``NOTIFY`` inside the transaction (delivered only if it commits) and ``LISTEN`` in
each relay, across machines. SQLite (one machine by nature): after commit, a datagram to every
relay's Unix socket. Either way the relay also polls, so a lost nudge only costs latency.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import select
import socket
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session


def _channel(service: str) -> str:
    return f"ocop_outbox_{service}"


def _socket_dir(engine: Engine, service: str) -> Path:
    # Unix socket paths are limited to ~100 bytes, so live under the temp dir, keyed by database.
    key = hashlib.sha256(str(engine.url).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"ocop-relay-{key}" / service


class Nudger:
    """The producing side: called by the unit of work of every transaction that wrote events."""

    def __init__(self, engine: Engine, service: str) -> None:
        self._service = service
        self._postgres = engine.dialect.name == "postgresql"
        self._dir = None if self._postgres else _socket_dir(engine, service)

    def in_transaction(self, session: Session) -> None:
        if self._postgres:
            session.execute(text(f"NOTIFY {_channel(self._service)}"))

    def after_commit(self) -> None:
        if self._dir is None:
            return
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
            sock.setblocking(False)
            for path in self._dir.glob("*.sock"):
                try:
                    sock.sendto(b"1", str(path))
                except OSError as exc:
                    if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
                        # A relay that died without cleaning up.
                        path.unlink(missing_ok=True)
                    # EAGAIN: the relay already has nudges queued; it will wake anyway.


class Listener:
    """The relay side: ``wait(timeout)`` returns early when a nudge arrives."""

    def __init__(self, engine: Engine, service: str) -> None:
        self._engine = engine
        self._service = service
        self._pg: psycopg.Connection | None = None
        self._sock: socket.socket | None = None
        self._path: Path | None = None

    def __enter__(self) -> Listener:
        if self._engine.dialect.name == "postgresql":
            dsn = self._engine.url.set(drivername="postgresql").render_as_string(
                hide_password=False
            )
            self._pg = psycopg.connect(dsn, autocommit=True)
            self._pg.execute(f"LISTEN {_channel(self._service)}")
        else:
            directory = _socket_dir(self._engine, self._service)
            directory.mkdir(parents=True, exist_ok=True)
            self._path = directory / f"{os.getpid()}-{os.urandom(4).hex()}.sock"
            self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self._sock.bind(str(self._path))
            self._sock.setblocking(False)
        return self

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds; True if a nudge arrived."""
        if self._pg is not None:
            return any(True for _ in self._pg.notifies(timeout=timeout, stop_after=1))
        assert self._sock is not None
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if ready:
            with contextlib.suppress(BlockingIOError):
                while self._sock.recv(64):
                    pass
        return bool(ready)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._pg is not None:
            self._pg.close()
        if self._sock is not None:
            self._sock.close()
        if self._path is not None:
            self._path.unlink(missing_ok=True)
            # Leave no empty directories behind (one per database) once the last relay is gone.
            for directory in (self._path.parent, self._path.parent.parent):
                with contextlib.suppress(OSError):
                    directory.rmdir()
