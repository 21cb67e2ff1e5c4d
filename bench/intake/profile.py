"""Where a dossier's create + submit spends its time, in-process (Flask test client, SQLite):
the SQL statements each request runs and a cProfile of N dossiers, product code first.

    .venv/bin/python -m bench.intake.profile [--dossiers 500] [--top 30]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from typing import Any

from bench.intake.procs import ROOT, ocop, run_env


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.intake.profile", description=__doc__)
    parser.add_argument("--dossiers", type=int, default=500)
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args(argv)
    with run_env("embedded", pg_url="", broker_url="", keep=False) as env:
        ocop(env, "migrate", "registration")
        ocop(env, "seed")
        os.environ.update(env.variables())  # before the runtime reads its settings
        return profile(args.dossiers, args.top)


def profile(n: int, top: int) -> int:
    from sqlalchemy import event

    from services.registration.app import create_app
    from services.registration.runtime import Registration
    from tests.support.flows import DEMO_PASSWORD, OTHER_COMMUNE, dossier_body, producer_body

    rt = Registration()
    client = create_app(rt).test_client()
    login = {"email": "hoptacxa@ocop.local", "password": DEMO_PASSWORD}
    token = client.post("/api/v1/auth/token", json=login).json["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    producer = client.post("/api/v1/producers", json=producer_body(OTHER_COMMUNE), headers=headers)
    body = dossier_body(producer.json["id"])

    def one() -> tuple[Any, Any]:
        created = client.post("/api/v1/dossiers", json=body, headers=headers)
        assert created.status_code == 201, created.json
        version = {"version": created.json["version"]}
        submitted = client.post(
            f"/api/v1/dossiers/{created.json['id']}/submit", json=version, headers=headers
        )
        assert submitted.status_code == 200, submitted.json
        return created, submitted

    for _ in range(50):
        one()
    statements: list[str] = []

    def record(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        statements.append(" ".join(statement.split()[:4]))

    event.listen(rt.db.engine, "before_cursor_execute", record)
    created = client.post("/api/v1/dossiers", json=body, headers=headers).json
    per_create = list(statements)
    statements.clear()
    client.post(
        f"/api/v1/dossiers/{created['id']}/submit",
        json={"version": created["version"]},
        headers=headers,
    )
    event.remove(rt.db.engine, "before_cursor_execute", record)
    print(f"SQL per create ({len(per_create)}): {per_create}")
    print(f"SQL per submit ({len(statements)}): {statements}")

    t0 = time.process_time()
    for _ in range(n):
        one()
    cpu = (time.process_time() - t0) / n * 1000
    print(f"CPU per dossier (create + submit, test client, no profiler): {cpu:.2f} ms")

    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        one()
    prof.disable()
    out = io.StringIO()
    stats = pstats.Stats(prof, stream=out).sort_stats("cumulative")
    stats.print_stats(str(ROOT / "(services|shared)"), top)
    print(out.getvalue())
    return 0


if __name__ == "__main__":
    sys.exit(main())
