"""What happens out of sight of the HTTP requests, for Prometheus.

Two kinds of figures:

- **State, read at scrape time** by every service's web process from its database and the
  broker (``background``): the outbox backlog and the age of its oldest unpublished event, the
  depth of the dead-letter queue, and what a service adds of its own (the notification
  service's deliveries by outcome, the registration service's age of the last signed ledger
  checkpoint). Read, not counted: every replica answers the same figure, and a restarted
  process loses nothing.
- **Work, counted where it is done**: events handled by the workers (by outcome) and their
  batches. A worker serves these on ``OCOP_METRICS_PORT`` when it is set (one port per pod;
  under ``ocop up`` the figures are left out rather than fight over a port).
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from kombu import Connection
from prometheus_client import Counter, Histogram, start_http_server
from prometheus_client.core import GaugeMetricFamily, Metric
from sqlalchemy import Table, func, select

from shared.config import Settings
from shared.db import Database

log = logging.getLogger(__name__)

Background = Callable[[], Iterable[Metric]]

EVENTS_HANDLED = Counter(
    "ocop_events_handled_total",
    "Events a worker took from its queue, by outcome (handled, duplicate, ignored, retried, dead)",
    ["service", "outcome"],
)
EVENT_BATCHES = Histogram(
    "ocop_event_batch_size",
    "Events applied together in one transaction by a worker",
    ["service"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500),
)


def gauge(name: str, documentation: str, service: str, value: float, **labels: str) -> Metric:
    family = GaugeMetricFamily(name, documentation, labels=["service", *labels])
    family.add_metric([service, *labels.values()], value)
    return family


def outbox_state(db: Database, outbox: Table, service: str) -> list[Metric]:
    """Events committed but not yet on the broker, and how long the oldest has waited: a relay
    that is down shows here first (its service keeps answering)."""
    pending = outbox.c.published_at.is_(None)
    with db.reader() as session:
        backlog, oldest = session.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(pending)
        ).one()
    age = 0.0
    if oldest is not None:
        moment = oldest if oldest.tzinfo else oldest.replace(tzinfo=UTC)
        age = max(0.0, (datetime.now(UTC) - moment).total_seconds())
    return [
        gauge("ocop_outbox_backlog", "Events committed, not yet published", service, backlog),
        gauge(
            "ocop_outbox_oldest_seconds",
            "Age of the oldest unpublished event (0 when none waits)",
            service,
            age,
        ),
    ]


def dead_letters(settings: Settings, service: str) -> list[Metric]:
    """Messages the service gave up on, waiting for an operator (``ocop dlq``); NaN when the
    broker does not answer (the scrape still succeeds, the alert is on the absence)."""
    from shared.messaging import topology  # the messaging package counts with this module

    depth = math.nan
    try:
        with Connection(settings.broker_url, connect_timeout=2) as conn:
            # Declared as the topology declares it (idempotent); the answer carries its depth.
            queue = topology.dead_queue(service)(conn.default_channel)
            depth = float(queue.queue_declare().message_count)
    except Exception as exc:  # a scrape never fails on the broker
        log.warning("dead-letter depth of %s unavailable: %r", service, exc)
    return [gauge("ocop_dead_letters", "Messages in the dead-letter queue", service, depth)]


def serve_worker_metrics() -> None:
    """A worker's counters on ``OCOP_METRICS_PORT``, if the deployment gives it one."""
    port = os.environ.get("OCOP_METRICS_PORT")
    if port:
        start_http_server(int(port))
