"""Fault 4 of docs/quality.md: the database goes away while events are consumed.

Registration's worker (the case-file ledger) and notification's worker reach PostgreSQL through
a TCP proxy (tests/support/proxy.py); during a few hundred workflow operations the test cuts it
at random (seeded) points, every connection reset and new ones refused, for a second or a few,
and restores it. The web process and the relays keep their own connections, so requests go on
and events keep coming. The workers retry what failed with backoff, do not crash (the same
processes are alive at the end), and after recovery nothing is lost or doubled.

PostgreSQL is shared with other suites, so it is not stopped. The embedded databases are
SQLite files each process opens itself: there is no server to lose, so this runs in servers
mode only.
"""

from __future__ import annotations

import os
import random

import pytest
from sqlalchemy.engine import make_url

from tests.e2e.stack import Stack
from tests.reliability.effects import Scope, report
from tests.reliability.workload import Workload
from tests.support import flows
from tests.support.proxy import Proxy

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("OCOP_TEST_POSTGRES_URL"),
        reason="servers mode only: the embedded databases are files, no server to lose",
    ),
]

PROCESSES = ("registration-web", "registration-relay", "notification-sender", "notification-relay")
THROUGH_PROXY = {"registration-worker": "registration", "notification-worker": "notification"}
OPS = 220
SEED = 4


def test_a_database_outage_during_consumption_loses_and_doubles_nothing(
    stack: Stack, scope: Scope
) -> None:
    url = make_url(stack.env["OCOP_REGISTRATION_DATABASE_URL"])
    proxy = Proxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    for name, service in THROUGH_PROXY.items():
        key = f"OCOP_{service.upper()}_DATABASE_URL"
        direct = stack.env[key]
        stack.env[key] = (
            make_url(direct)
            .set(host="127.0.0.1", port=proxy.port)
            .render_as_string(hide_password=False)
        )
        stack.start(name, "worker", service)
        stack.env[key] = direct
    workers = {name: stack.processes[name] for name in THROUGH_PROXY}

    workload = Workload.start(flows.http_transport(stack.urls["registration"]), SEED)
    rng = random.Random(SEED)
    outage = {"until": -1, "cuts": 0}

    def fault(ops: int) -> None:
        if outage["until"] == ops:
            proxy.start()
        elif outage["until"] < ops and rng.random() < 0.05:
            proxy.cut()
            outage["until"] = ops + rng.randint(5, 20)
            outage["cuts"] += 1

    try:
        workload.run(OPS, fault)
    finally:
        if outage["until"] >= workload.ops:
            proxy.start()
    assert outage["cuts"] >= 5, outage

    tally = scope.settle(workload, timeout=180)
    # The workers rode it out: the very processes started above are still running.
    assert all(p.poll() is None for p in workers.values()), {
        n: stack.log(n) for n, p in workers.items() if p.poll() is not None
    }
    assert all(stack.processes[n] is p for n, p in workers.items())
    log = (stack.log_dir / "notification-worker.log").read_text()
    assert "retrying" in log or "failed as a whole" in log  # the outage did hit a consumer
    report(4, workload, tally, scope.reconciled(workload))
    proxy.cut()
