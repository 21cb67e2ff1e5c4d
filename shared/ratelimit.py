"""Fixed-window rate limits kept in the service's database, so every worker process sees the
same counts (the database is the one store all of them already share, in both run modes)."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, delete

from shared import problems
from shared.db import Database, dialect_insert


def define_rate_limit_table(metadata: MetaData) -> Table:
    return Table(
        "rate_limits",
        metadata,
        Column("key", String(200), primary_key=True),
        Column("window_start", Integer, primary_key=True),
        Column("hits", Integer, nullable=False),
    )


@dataclass(frozen=True, slots=True)
class RateLimit:
    name: str
    limit: int
    window_seconds: int = 60


def hit(db: Database, table: Table, rule: RateLimit, subject: str) -> None:
    """Count one attempt by ``subject``; a 429 problem with Retry-After once over the limit."""
    now = time.time()
    window = int(now // rule.window_seconds) * rule.window_seconds
    key = f"{rule.name}:{subject}"[:200]
    stmt = dialect_insert(db.engine)(table).values(key=key, window_start=window, hits=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key", "window_start"], set_={"hits": table.c.hits + 1}
    ).returning(table.c.hits)
    with db.engine.begin() as conn:
        hits = conn.execute(stmt).scalar_one()
        if hits == 1:
            # First hit of a window: forget this rule's windows that are over (keeps the table
            # small; a rule with a longer window keeps its own).
            conn.execute(
                delete(table).where(
                    table.c.key.startswith(f"{rule.name}:", autoescape=True),
                    table.c.window_start < window - rule.window_seconds,
                )
            )
    if hits > rule.limit:
        retry_after = max(1, math.ceil(window + rule.window_seconds - now))
        raise problems.edge(
            429,
            "request.rate_limited",
            headers={"Retry-After": str(retry_after)},
            seconds=retry_after,
        )
