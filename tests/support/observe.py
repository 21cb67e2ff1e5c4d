"""Reading another process's database from a test, and waiting for it to get somewhere."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import create_engine


def rows(url: str, statement: Any) -> list[Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(statement).all())
    finally:
        engine.dispose()


def scalar(url: str, statement: Any) -> Any:
    return rows(url, statement)[0][0]


def wait_until(predicate: Callable[[], bool], timeout: float, *, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return predicate()


def eventually(fetch: Callable[[], Any], ok: Callable[[Any], bool], timeout: float = 45) -> Any:
    """``fetch()`` once ``ok`` holds of it (polled every 0.3 s); fails with the last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = fetch()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached in {timeout}s: {value}")
        time.sleep(0.3)
