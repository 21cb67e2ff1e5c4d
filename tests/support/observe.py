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
