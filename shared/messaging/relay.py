"""The outbox relay: publishes committed events to the broker, then marks them published.

Delivery is at least once. A relay leases a batch (so several relays never publish the same rows
concurrently), publishes it (with publisher confirms on RabbitMQ), and marks what the broker
took. A relay that dies mid-batch leaves a lease that expires; another relay then publishes
those rows again, and consumers drop the duplicates through their inbox.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

from celery import Celery
from kombu import Connection, Producer
from sqlalchemy import Table, or_, select, update

from shared.db import Database
from shared.messaging import topology
from shared.messaging.wakeup import Listener

log = logging.getLogger(__name__)

EVENT_TASK = "ocop.event"


class Relay:
    def __init__(
        self,
        *,
        service: str,
        db: Database,
        outbox: Table,
        app: Celery,
        batch_size: int = 200,
        poll_seconds: float = 2.0,
        lease_seconds: float = 30.0,
    ) -> None:
        self.service = service
        self.db = db
        self.outbox = outbox
        self.app = app
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.lease = timedelta(seconds=lease_seconds)
        self.relay_id = f"{service}-{uuid.uuid4().hex[:12]}"
        self._connection: Connection | None = None
        self._producer: Producer | None = None

    def _get_producer(self) -> Producer:
        """A producer on a connection of our own, with the whole topology declared on it: the
        virtual transport keeps bindings per connection, so a pooled connection that has not
        declared them would route events nowhere."""
        if self._producer is None:
            connection = self.app.connection_for_write()
            connection.ensure_connection(max_retries=1)
            topology.declare(connection)
            self._connection = connection
            self._producer = self.app.amqp.Producer(connection, auto_declare=False)
        return self._producer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.release()
        self._connection = None
        self._producer = None

    def _claim(self) -> str:
        token = f"{self.relay_id}-{uuid.uuid4().hex[:8]}"
        now = datetime.now(UTC)
        o = self.outbox.c
        claimable = or_(o.claimed_until.is_(None), o.claimed_until < now)
        pending = (
            select(o.id)
            .where(o.published_at.is_(None), claimable)
            .order_by(o.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        with self.db.engine.begin() as conn:
            # The outer condition is re-checked on rows another relay updated meanwhile, so a row
            # is never claimed twice (PostgreSQL re-evaluates it after waiting on the row lock).
            conn.execute(
                update(self.outbox)
                .where(o.id.in_(pending.scalar_subquery()), claimable)
                .values(claimed_by=token, claimed_until=now + self.lease, attempts=o.attempts + 1)
            )
        return token

    def publish_pending(self) -> int:
        """Publish one batch of pending events; returns how many the broker took."""
        token = self._claim()
        o = self.outbox.c
        with self.db.engine.connect() as conn:
            rows = conn.execute(
                select(o.id, o.event_id, o.type, o.envelope)
                .where(o.claimed_by == token, o.published_at.is_(None))
                .order_by(o.id)
            ).all()
        if not rows:
            return 0
        published: list[int] = []
        try:
            producer = self._get_producer()
            for row in rows:
                self.app.send_task(
                    EVENT_TASK,
                    args=[row.envelope],
                    task_id=str(row.event_id),
                    exchange=topology.EVENTS.name,
                    routing_key=row.type,
                    producer=producer,
                    retry=False,
                )
                published.append(row.id)
        except Exception:
            self.close()  # reconnect (and redeclare) on the next batch
            raise
        finally:
            with self.db.engine.begin() as conn:
                if published:
                    conn.execute(
                        update(self.outbox)
                        .where(o.id.in_(published))
                        .values(published_at=datetime.now(UTC), claimed_until=None)
                    )
                unpublished = [r.id for r in rows if r.id not in set(published)]
                if unpublished:
                    # Hand them back at once rather than after the lease.
                    conn.execute(
                        update(self.outbox)
                        .where(o.id.in_(unpublished), o.claimed_by == token)
                        .values(claimed_by=None, claimed_until=None)
                    )
        return len(published)

    def run(self, stop: threading.Event) -> None:
        """Publish until ``stop`` is set; woken early by committed transactions."""
        delay = 0.5
        with Listener(self.db.engine, self.service) as listener:
            while not stop.is_set():
                try:
                    self._get_producer()  # declares the topology at start and on reconnect
                    count = self.publish_pending()
                    delay = 0.5
                except Exception as exc:
                    log.warning("relay could not publish (%r); retrying in %.1fs", exc, delay)
                    stop.wait(delay)
                    delay = min(delay * 2, 30.0)
                    continue
                if count < self.batch_size:
                    self._sleep(listener, stop)
        self.close()

    def _sleep(self, listener: Listener, stop: threading.Event) -> None:
        """Until a nudge or the poll interval; in short slices so a stop request is seen soon."""
        deadline = time.monotonic() + self.poll_seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            if listener.wait(min(left, 1.0)):
                return
