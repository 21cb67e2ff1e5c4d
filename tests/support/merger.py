"""The map of the 2025 merger in the in-process suites: loaded as an operator of a two-tier
deployment loads it (``ocop units map FILE``), handed to the other services as the broker
would, and forgotten afterwards (other suites answer by the units records were filed in)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from services import cli
from services.evaluation import models as evaluation_models
from services.notification import models as notification_models
from services.registration import models as registration_models
from shared import unit_map
from shared.units.merger import sample_path

OLD_COMMUNE = "pre2025:commune:19333"  # Phường 1 (Đông Hà, Quảng Trị 45), flows.COMMUNE
NEW_COMMUNE = "2025:commune:19333"  # Phường Đông Hà, which Phường 1 merged into
NEW_PROVINCE = "2025:province:44"  # the new Tỉnh Quảng Trị


def tables(rt: Any) -> tuple[Any, Any]:
    models = {
        "registration": registration_models,
        "evaluation": evaluation_models,
        "notification": notification_models,
    }[rt.service]
    return models.unit_map_tables


def forget(*runtimes: Any) -> None:
    for rt in runtimes:
        with rt.db.engine.begin() as conn:
            for table in tables(rt):
                conn.execute(delete(table))


def successors(rt: Any) -> dict[str, str]:
    """The map ``rt`` keeps: each pre-2025 commune's code and its 2025 successor's."""
    with rt.db.engine.connect() as conn:
        rows = conn.execute(select(tables(rt)[0].c.old_code, tables(rt)[0].c.new_code)).all()
    return {old: new for old, new in rows}


def load(path: Path, *extra: str) -> int:
    """``ocop units map PATH``'s exit code (the deployment's regime as the environment says)."""
    return cli.main(["units", "map", str(path), *extra])


def map_events(registration: Any) -> list[dict[str, Any]]:
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        rows = conn.execute(
            select(o.envelope).where(o.type == unit_map.EVENT_TYPE).order_by(o.id)
        ).all()
    return [envelope for (envelope,) in rows]


def deliver(registration: Any, *services: Any) -> None:
    """Every map event registration wrote, consumed by each of ``services``."""
    for service in services:
        inbox = service.inbox()
        for envelope in map_events(registration):
            inbox.consume(envelope)


@contextmanager
def sample_map(registration: Any, evaluation: Any) -> Iterator[None]:
    """The shipped sample loaded in a two-tier deployment and known to both services; gone
    afterwards."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OCOP_REGIME", "two-tier")
        forget(registration, evaluation)
        try:
            assert load(sample_path()) == 0
            deliver(registration, evaluation)
            yield
        finally:
            forget(registration, evaluation)
