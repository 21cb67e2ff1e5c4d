"""Fault 21 of docs/quality.md: the RabbitMQ node leading the queues stops mid-burst.

On a three-node cluster of this machine (``deploy/rabbitmq-cluster.sh start``; its ``status``
prints the ``OCOP_TEST_RABBIT_CLUSTER`` to set) the stack's processes are given all three nodes
as one failover broker URL (``amqp://…5681//;amqp://…5682//;…``). Every queue is a quorum
queue (shared/messaging/topology.py). Halfway through a few hundred workflow operations the
test stops the node that leads most of the event queues; the queues elect leaders on the other
two, the relays and workers reconnect to them, and in the end nothing is lost, doubled or
unexpected, and the case files reconcile. The node is started again afterwards.

On demand: it needs the cluster (and servers mode, for the fault-run databases). The figures
of a run are in deploy/README.md.
"""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.notification.sink import SmtpSink
from shared.messaging import vhosts
from tests.e2e.stack import Stack, running
from tests.reliability.conftest import PROCESSES
from tests.reliability.effects import Scope, report
from tests.reliability.workload import Workload
from tests.support import flows
from tests.support.environment import Environment
from tests.support.observe import wait_until

CLUSTER = [u for u in os.environ.get("OCOP_TEST_RABBIT_CLUSTER", "").split(",") if u.strip()]
SCRIPT = Path(__file__).resolve().parents[2] / "deploy" / "rabbitmq-cluster.sh"

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        len(CLUSTER) != 3 or not os.environ.get("OCOP_TEST_POSTGRES_URL"),
        reason="on demand: set OCOP_TEST_RABBIT_CLUSTER to the three nodes of "
        "deploy/rabbitmq-cluster.sh, in servers mode",
    ),
]

OPS = 240
SEED = 9
#: The queues whose leader is stopped: the ones the run's events go through.
WATCHED = ("registration.events", "notification.events", "notification.mail")


def ctl(node: int, *args: str) -> str:
    """rabbitmqctl on one node of the cluster (the script knows its cookie and names)."""
    done = subprocess.run(
        [str(SCRIPT), "ctl", str(node), *args], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def leaders(node: int, vhost: str) -> dict[str, str]:
    """``queue → node name`` of the product's queues, as ``node`` sees them."""
    out = ctl(node, "list_queues", "-p", vhost, "name", "leader", "--no-table-headers", "-s")
    return dict(line.split("\t")[:2] for line in out.splitlines() if "\t" in line)


@pytest.fixture(scope="module")
def cluster_url() -> Iterator[str]:
    """All three nodes as one failover URL, on a vhost of this run's own."""
    vhost = f"ocop_fault21_{uuid.uuid4().hex[:8]}"
    ctl(1, "add_vhost", vhost)
    ctl(1, "set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    try:
        yield ";".join(vhosts.with_vhost(u.strip(), vhost) for u in CLUSTER)
    finally:
        for node in (1, 2, 3):  # whichever is up
            if (
                subprocess.run([str(SCRIPT), "ctl", str(node), "delete_vhost", vhost]).returncode
                == 0
            ):
                break


@pytest.fixture(scope="module")
def stack(
    migrated: Environment,
    tmp_path_factory: pytest.TempPathFactory,
    sink: SmtpSink,
    cluster_url: str,
) -> Iterator[Stack]:
    with running(
        migrated,
        tmp_path_factory.mktemp("logs"),
        PROCESSES,
        OCOP_SMTP_PORT=str(sink.port),
        OCOP_BROKER_URL=cluster_url,
    ) as s:
        yield s


def test_the_node_leading_the_queues_stops_mid_burst_and_nothing_is_lost_or_doubled(
    stack: Stack, scope: Scope, cluster_url: str
) -> None:
    vhost = cluster_url.split(";")[0].rsplit("/", 1)[1]
    # The processes declare the queues as they start.
    wait_until(lambda: all(leaders(1, vhost).get(q) for q in WATCHED), 60, every=1.0)
    before = leaders(1, vhost)
    assert all(before.get(q) for q in WATCHED), before
    name = Counter(before[q] for q in WATCHED).most_common(1)[0][0]
    leader = int(name.split("@")[0].removeprefix("ocop"))
    survivor = 1 if leader != 1 else 2
    figures: dict[str, float] = {}

    workload = Workload.start(flows.http_transport(stack.urls["registration"]), SEED)
    started = time.monotonic()

    def fault(ops: int) -> None:
        if ops == OPS // 2 and "stopped" not in figures:
            figures["stopped"] = time.monotonic()
            subprocess.run([str(SCRIPT), "stop-node", str(leader)], check=True, timeout=120)
            # The queues have new leaders once the survivors name one of themselves.
            wait_until(
                lambda: all(
                    leaders(survivor, vhost).get(q, name) not in ("", name) for q in WATCHED
                ),
                60,
                every=0.5,
            )
            figures["elected"] = time.monotonic() - figures["stopped"]

    try:
        workload.run(OPS, fault)
        figures["burst"] = time.monotonic() - started
        tally = scope.settle(workload, timeout=180)
        figures["settled"] = time.monotonic() - figures["stopped"]
        after = leaders(survivor, vhost)
    finally:
        subprocess.run([str(SCRIPT), "start-node", str(leader)], timeout=300)
    print(
        f"\nfault 21: {workload.ops} operations in {figures['burst']:.0f} s; node {name} "
        f"(leader of {', '.join(WATCHED)}) stopped at operation {OPS // 2}; new leaders in "
        f"{figures['elected']:.1f} s; everything consumed {figures['settled']:.0f} s after the "
        f"stop; leaders now {sorted(set(after[q] for q in WATCHED))}"
    )
    assert name not in {after[q] for q in WATCHED}
    # The stop did hit the consumers (they all start on the first node, the leader), and they
    # carried on from another node: the same processes, reconnected.
    port = CLUSTER[leader - 1].rsplit(":", 1)[1].split("/")[0]
    for worker in ("registration-worker", "notification-worker", "notification-sender"):
        log = (stack.log_dir / f"{worker}.log").read_text(errors="replace")
        assert stack.processes[worker].poll() is None, stack.log(worker)
        assert "Connection to broker lost" in log, worker
        after_loss = log.split("Connection to broker lost", 1)[1].splitlines()
        connected = next((line for line in after_loss if "Connected to amqp" in line), "")
        assert connected and f":{port}/" not in connected, (worker, connected)
    report(21, workload, tally, scope.reconciled(workload))
