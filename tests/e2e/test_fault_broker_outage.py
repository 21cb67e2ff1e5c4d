"""docs/quality.md fault 2: the broker goes away hard during a burst of submissions and comes back.

Requests keep succeeding while it is away (the outbox holds the events), and afterwards every
event of every request that got a 2xx is delivered and applied exactly once.

RabbitMQ is shared with other suites, so it is not stopped: the relay and the worker reach it
through a TCP proxy that the test cuts (every connection reset, new ones refused) and restores.
The embedded broker is a file the processes open themselves; there is no server to lose, so
this test runs in servers mode only.
"""

from __future__ import annotations

import threading
import time
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.e2e.stack import Stack
from tests.support import flows
from tests.support.cases import accept_dossiers
from tests.support.intake_effects import (
    assert_each_case_opened_once,
    events_for_evaluation,
    handled,
)
from tests.support.observe import wait_until
from tests.support.proxy import Proxy

pytestmark = [pytest.mark.e2e]

PROCESSES = ("registration-web",)
CLIENTS = 3
DOSSIERS_EACH = 10


def _through(broker_url: str, port: int) -> str:
    parts = urlsplit(broker_url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{port}"
    return urlunsplit(parts._replace(netloc=f"{netloc[0]}@{host}" if len(netloc) > 1 else host))


def test_a_broker_outage_during_a_burst_loses_and_doubles_nothing(stack: Stack) -> None:
    broker_url = stack.env["OCOP_BROKER_URL"]
    if not broker_url.startswith("amqp"):
        pytest.skip("the embedded broker is a file, not a server that can go away")

    upstream = urlsplit(broker_url)
    proxy = Proxy((upstream.hostname or "127.0.0.1", upstream.port or 5672))
    proxy.start()
    stack.env["OCOP_BROKER_URL"] = _through(broker_url, proxy.port)
    stack.start("registration-relay", "relay", "registration")
    stack.start("evaluation-worker", "worker", "evaluation")
    stack.env["OCOP_BROKER_URL"] = broker_url

    urls = {s: stack.env[f"OCOP_{s.upper()}_DATABASE_URL"] for s in ("registration", "evaluation")}
    call = flows.http_transport(stack.urls["registration"])
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    applicants = []
    for _ in range(CLIENTS):
        applicant = flows.register(flows.http_transport(stack.urls["registration"]), "applicant")
        applicants.append((applicant, flows.create_producer(applicant)["id"]))
    filed: list[dict] = []
    failures: list[BaseException] = []

    def burst(each: int) -> None:
        """Every client files ``each`` dossiers at once (its own HTTP session per thread)."""

        def client(applicant: flows.Actor, producer_id: str) -> None:
            try:
                filed.extend(accept_dossiers(applicant, officer, producer_id, each))
            except BaseException as exc:  # reported below, with the burst's other results
                failures.append(exc)

        threads = [threading.Thread(target=client, args=pair) for pair in applicants]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

    # The burst spans the outage: filed with the broker there, while it is gone (the relay
    # and the worker lose their connections mid-stream), and after it is back.
    burst(DOSSIERS_EACH // 3)
    proxy.cut()
    burst(DOSSIERS_EACH - 2 * (DOSSIERS_EACH // 3))
    time.sleep(2)  # the relay keeps trying meanwhile
    proxy.start()
    burst(DOSSIERS_EACH // 3)
    assert not failures, failures  # every request answered 2xx while the broker was away
    assert len(filed) == CLIENTS * DOSSIERS_EACH

    mine = {d["id"] for d in filed}
    expected = events_for_evaluation(urls["registration"], mine)
    assert len(expected) == 2 * len(mine)  # accepted and document_added each
    done = wait_until(lambda: handled(urls["evaluation"], expected) == len(expected), 180)
    assert done, (
        f"{handled(urls['evaluation'], expected)} of {len(expected)} events handled\n"
        + stack.log("registration-relay")[-2000:]
        + stack.log("evaluation-worker")
    )
    assert_each_case_opened_once(urls["evaluation"], mine)
    # The fault did hit: the relay saw the broker go.
    assert "relay could not publish" in (stack.log_dir / "registration-relay.log").read_text()
    proxy.cut()
