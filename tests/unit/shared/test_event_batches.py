"""When the event task applies what it has buffered (ADR 0008): a full batch at once, a partial
one once its first message has waited the batch time, however the timer's ticks fall."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from celery import Celery

from shared.messaging.consumer import register_event_task

BATCH_SECONDS = 0.2


@pytest.fixture()
def task() -> Any:
    app = Celery("test", set_as_current=False)
    task = register_event_task(
        app,
        service="notification",
        inbox=None,  # type: ignore[arg-type]  # flush is replaced below: nothing is applied
        max_retries=1,
        batch_size=3,
        batch_seconds=BATCH_SECONDS,
    )
    task.flushed = []
    task.flush = lambda requests: task.flushed.append(len(requests))
    return task


def _receive(task: Any, count: int) -> None:
    """What the strategy does with each message: note the first, then buffer it."""
    for _ in range(count):
        if task._first_at is None:
            task._first_at = time.monotonic()
        task._buffer.put(SimpleNamespace(eta=None))


def test_a_timer_tick_leaves_a_young_partial_batch_to_fill(task: Any) -> None:
    _receive(task, 2)
    task._do_flush()  # a tick right after the first message: cut short before
    assert task.flushed == []
    _receive(task, 1)
    task._do_flush()  # full (the count's flush)
    assert task.flushed == [3]


def test_a_partial_batch_goes_once_its_first_message_has_waited(task: Any) -> None:
    _receive(task, 2)
    time.sleep(BATCH_SECONDS)
    task._do_flush()
    assert task.flushed == [2]
    _receive(task, 1)  # the next batch starts its own clock
    task._do_flush()
    assert task.flushed == [2]


def test_the_timer_ticks_twice_per_batch_time(task: Any) -> None:
    # So a partial batch waits between one and one and a half batch times.
    assert task.flush_interval == BATCH_SECONDS / 2
    assert task.batch_seconds == BATCH_SECONDS
