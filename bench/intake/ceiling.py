"""The ceiling of B1: the least a Flask + SQLAlchemy endpoint can do per accepted dossier.

One POST inserts one row comparable to a dossier row (UUID key, a few text columns, a JSON
column, timestamps) into the benchmark's database, in a table of its own. The engine comes from
``shared.db.make_engine`` so SQLite gets the product's pragmas and write-locking transactions,
and PostgreSQL the product's pool settings. Served by gunicorn with the product's settings:
``gunicorn bench.intake.ceiling:app`` with ``BENCH_CEILING_DATABASE_URL`` set.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from flask import Flask, request
from sqlalchemy import JSON, Column, DateTime, Engine, MetaData, String, Table, Uuid

from shared.db import make_engine
from shared.ids import new_id

metadata = MetaData()

rows = Table(
    "bench_ceiling_rows",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("status", String(20), nullable=False),
    Column("product_name", String(300), nullable=False),
    Column("product_set_code", String(4), nullable=False),
    Column("commune_code", String(8), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def create_table(url: str) -> None:
    """Create the ceiling's table (before gunicorn starts, so workers do not race)."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(engine: Engine) -> Flask:
    app = Flask("bench-ceiling")

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/rows")
    def insert() -> tuple[dict[str, Any], int]:
        body = request.get_json()
        now = datetime.now(UTC)
        row_id = new_id()
        with engine.begin() as conn:
            conn.execute(
                rows.insert().values(
                    id=row_id,
                    status="submitted",
                    product_name=body["product_name"],
                    product_set_code=body["product_set_code"],
                    commune_code="19333",
                    payload=body.get("self_assessment") or {},
                    created_at=now,
                    updated_at=now,
                )
            )
        return {"id": str(row_id), "version": 1}, 201

    return app


def _app_from_env() -> Flask:
    return create_app(make_engine(os.environ["BENCH_CEILING_DATABASE_URL"]))


app = _app_from_env() if os.environ.get("BENCH_CEILING_DATABASE_URL") else None
