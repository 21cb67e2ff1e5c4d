"""One beat per service: ``ocop beat`` holds a lock for its whole life, and a second beat of
the same service waits for it (saying so in its log) instead of scheduling every task twice.

PostgreSQL: a session advisory lock on a connection of its own to the service's database, so
beats on different machines see each other; the lock goes with the connection, so a beat whose
connection is lost exits (its supervisor restarts it, and it waits its turn again). SQLite (one
machine by nature): an exclusive ``flock`` on a file in the data dir, which the kernel releases
when the process ends, however it ends: no lease to wait out.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import IO

from sqlalchemy import Connection, NullPool, text

from shared import config
from shared.db import make_engine

log = logging.getLogger(__name__)

WAIT_SECONDS = 5.0
CHECK_SECONDS = 15.0


def _key(service: str) -> int:
    """The advisory lock's number: stable, per service, a signed 64-bit integer."""
    digest = hashlib.sha256(f"ocop-beat:{service}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class BeatLock:
    """Held from ``acquire`` until the process ends (or ``release``)."""

    def __init__(self, settings: config.Settings, wait_seconds: float = WAIT_SECONDS) -> None:
        self.settings = settings
        self.wait_seconds = wait_seconds
        self._file: IO[bytes] | None = None
        self._connection: Connection | None = None

    @property
    def _postgres(self) -> bool:
        return self.settings.database_url.startswith("postgresql")

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Wait for the lock (logging who waits and why every ``wait_seconds``); False if
        ``stop`` was set first."""
        stop = stop or threading.Event()
        while not stop.is_set():
            if self._try():
                log.info("beat of %s holds the lock: scheduling", self.settings.service)
                return True
            log.warning(
                "another beat of %s is running (it holds the lock); this one waits and takes "
                "over when it stops, so the periodic tasks are not scheduled twice",
                self.settings.service,
            )
            stop.wait(self.wait_seconds)
        return False

    def _try(self) -> bool:
        if self._postgres:
            if self._connection is None:
                engine = make_engine(self.settings.database_url, poolclass=NullPool)
                self._connection = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            held = self._connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": _key(self.settings.service)}
            ).scalar()
            return bool(held)
        path = self.settings.data_dir / "run" / f"{self.settings.service}-beat.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+b")  # noqa: SIM115 - held for the process's life
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n".encode())
        handle.flush()
        self._file = handle
        return True

    def watch(self, lost: Callable[[], None], every: float = CHECK_SECONDS) -> None:
        """PostgreSQL: check the lock's connection in a thread; call ``lost`` once it fails
        (the lock went with it and another beat may have taken it)."""
        if self._connection is None:
            return
        connection = self._connection

        def check() -> None:
            while True:
                time.sleep(every)
                try:
                    connection.execute(text("SELECT 1"))
                except Exception:
                    service = self.settings.service
                    log.error("beat of %s lost its lock's connection; exiting", service)
                    lost()
                    return

        threading.Thread(target=check, name="beat-lock", daemon=True).start()

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection.engine.dispose()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None
