"""One beat per service (docs/operations.md): of two ``ocop beat`` of one service, one
schedules and the other waits, saying why, and takes over once the first stops. On PostgreSQL
the lock is an advisory lock on the service's database, on SQLite a lock on a data-dir file."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from tests.e2e.stack import Stack
from tests.support.environment import Environment
from tests.support.observe import wait_until

pytestmark = pytest.mark.e2e

HOLDS = "holds the lock: scheduling"
WAITS = "another beat of evaluation is running"
STARTED = "beat: Starting"  # Celery beat's own first line


def test_a_second_beat_waits_and_takes_over(migrated: Environment, tmp_path: Path) -> None:
    stack = Stack(migrated, tmp_path)
    try:
        first = stack.start("beat-1", "beat", "evaluation")
        assert wait_until(lambda: STARTED in stack.log("beat-1"), 60), stack.log("beat-1")
        assert HOLDS in stack.log("beat-1")
        stack.start("beat-2", "beat", "evaluation")
        assert wait_until(lambda: WAITS in stack.log("beat-2"), 60), stack.log("beat-2")
        assert wait_until(lambda: stack.log("beat-2").count(WAITS) >= 2, 15)
        # The second schedules nothing while the first runs.
        assert STARTED not in stack.log("beat-2") and HOLDS not in stack.log("beat-2")

        os.killpg(first.pid, signal.SIGTERM)
        first.wait(30)
        assert wait_until(lambda: STARTED in stack.log("beat-2"), 60), stack.log("beat-2")
        assert HOLDS in stack.log("beat-2")
    finally:
        stack.stop()


def test_a_waiting_beat_stops_when_told(migrated: Environment, tmp_path: Path) -> None:
    stack = Stack(migrated, tmp_path)
    try:
        stack.start("beat-1", "beat", "evaluation")
        assert wait_until(lambda: STARTED in stack.log("beat-1"), 60), stack.log("beat-1")
        waiting = stack.start("beat-2", "beat", "evaluation")
        assert wait_until(lambda: WAITS in stack.log("beat-2"), 60), stack.log("beat-2")
        os.killpg(waiting.pid, signal.SIGTERM)
        assert waiting.wait(15) == 0
    finally:
        stack.stop()
