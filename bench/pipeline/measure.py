"""What the services' databases say happened: every outbox row (written, published) and every
inbox row (handled), read after the fact, so that measuring costs the pipeline nothing.

- Events handled: inbox rows. A consumer writes one, stamped ``handled_at``, in the transaction
  of each event it has a handler for; events it has no handler for are consumed and dropped
  without a row (the report counts those as deliveries, from the subscriptions).
- Public status latency: registration's handler of an evaluation event updates the dossier's
  ``public_status`` in the transaction that inserts the event's inbox row, so the new status is
  visible to ``GET /api/v1/dossiers/{id}`` from that transaction's commit, a few milliseconds
  after its ``handled_at``. The event a request caused is found in evaluation's outbox (dossier,
  type, payload), its ``published_at`` there and its ``handled_at`` in registration's inbox.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kombu import Connection
from sqlalchemy import Engine, func, select

from bench.intake.load import percentile
from bench.pipeline.drive import Expect
from services.evaluation import models as evaluation_models
from services.notification import models as notification_models
from services.registration import models as registration_models
from shared import config
from shared.db import make_engine
from shared.messaging import topology

MODELS = {
    "registration": registration_models,
    "evaluation": evaluation_models,
    "notification": notification_models,
}


def epoch(value: datetime | None) -> float | None:
    """Seconds since the epoch; SQLite hands timestamps back naive, in UTC."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class Published:
    service: str
    event_id: uuid.UUID
    type: str
    dossier_id: str | None
    payload: dict[str, Any]
    created_at: float
    published_at: float | None
    size: int  # bytes of the envelope's JSON (roughly what travels)


@dataclass(frozen=True)
class Handled:
    service: str
    event_id: uuid.UUID
    type: str
    handled_at: float


class Databases:
    """Read-only engines on the three services' databases."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.engines: dict[str, Engine] = {s: make_engine(u) for s, u in urls.items()}

    def close(self) -> None:
        for engine in self.engines.values():
            engine.dispose()

    def counts(self) -> tuple[dict[str, int], int]:
        """Inbox rows per service, and the work still waiting: outbox rows not yet published
        (all services) and emails queued but not yet accepted by the SMTP sink."""
        handled, pending = {}, self.unsent()
        for service, engine in self.engines.items():
            m = MODELS[service]
            with engine.connect() as conn:
                handled[service] = conn.execute(
                    select(func.count()).select_from(m.inbox)
                ).scalar_one()
                pending += conn.execute(
                    select(func.count())
                    .select_from(m.outbox)
                    .where(m.outbox.c.published_at.is_(None))
                ).scalar_one()
        return handled, pending

    def unsent(self) -> int:
        """Deliveries of the notification service still to send now (not those waiting for a
        retry after a failure); 0 when there is no such table."""
        from sqlalchemy import text

        query = text("SELECT count(*) FROM deliveries WHERE status = 'queued'")
        try:
            with self.engines["notification"].connect() as conn:
                return int(conn.execute(query).scalar_one())
        except Exception:
            return 0

    def handled(self) -> list[Handled]:
        rows = []
        for service, engine in self.engines.items():
            c = MODELS[service].inbox.c
            with engine.connect() as conn:
                for r in conn.execute(select(c.event_id, c.type, c.handled_at)):
                    rows.append(Handled(service, r.event_id, r.type, epoch(r.handled_at) or 0.0))
        return rows

    def published(self) -> list[Published]:
        import json

        rows = []
        for service, engine in self.engines.items():
            c = MODELS[service].outbox.c
            query = select(c.event_id, c.type, c.envelope, c.created_at, c.published_at)
            with engine.connect() as conn:
                for r in conn.execute(query):
                    env = r.envelope
                    rows.append(
                        Published(
                            service,
                            r.event_id,
                            r.type,
                            env.get("dossier_id"),
                            env.get("payload") or {},
                            epoch(r.created_at) or 0.0,
                            epoch(r.published_at),
                            len(json.dumps(env, ensure_ascii=False).encode()),
                        )
                    )
        return rows


def emails(dbs: Databases) -> dict[uuid.UUID, list[float]] | None:
    """When each email the notification service queued for an event was accepted by the SMTP
    sink (``deliveries.sent_at``), by event id; None when the table is not there."""
    from sqlalchemy import text

    sent: dict[uuid.UUID, list[float]] = {}
    try:
        with dbs.engines["notification"].connect() as conn:
            rows = conn.execute(text("SELECT event_id, sent_at FROM deliveries")).all()
    except Exception:
        return None
    for event_id, sent_at in rows:
        if isinstance(sent_at, str):  # SQLite through a textual query
            sent_at = datetime.fromisoformat(sent_at)
        key = event_id if isinstance(event_id, uuid.UUID) else uuid.UUID(str(event_id))
        sent.setdefault(key, []).append(epoch(sent_at) if sent_at else float("inf"))
    return sent


def queue_depths(broker_url: str) -> dict[str, int]:
    """Messages ready in each service's events and tasks queue and the mail queue, by queue
    name (not counting those being handled)."""
    depths = {}
    queues = [
        *(q for s in config.SERVICES for q in (topology.events_queue(s), topology.tasks_queue(s))),
        topology.mail_queue(),
    ]
    with Connection(broker_url) as conn:
        channel = conn.default_channel
        for queue in queues:
            with contextlib.suppress(Exception):
                ok = channel.queue_declare(queue=queue.name, passive=True)
                depths[queue.name] = ok.message_count
    return depths


def subscribers(event_type: str) -> list[str]:
    """The services whose events queue gets a copy of ``event_type`` (topic bindings of the
    forms ``#``, ``prefix.#`` and exact types, the only ones the topology uses)."""
    found = []
    for service, keys in topology.SUBSCRIPTIONS.items():
        for key in keys:
            if key in ("#", event_type) or (key.endswith(".#") and event_type.startswith(key[:-1])):
                found.append(service)
                break
    return found


@dataclass
class Quiet:
    seconds: float  # when it was first seen quiet (time.time())
    timed_out: bool


def wait_quiet(
    dbs: Databases,
    broker_url: str,
    *,
    done: Callable[[], bool] | None = None,
    timeout: float = 180,
    stable: float = 1.0,
    ignore: tuple[str, ...] = (),
    every: float = 0.5,
) -> Quiet:
    """Until ``done()`` (if given), no outbox row or email waits, every queue but ``ignore``
    is empty, and the inbox counts have not moved for ``stable`` seconds; looks ``every`` so
    often (each look reads the databases and the broker, so not too often)."""
    deadline = time.monotonic() + timeout
    last: tuple[Any, ...] | None = None
    since = time.time()
    while time.monotonic() < deadline:
        handled, pending = dbs.counts()
        depths = {q: n for q, n in queue_depths(broker_url).items() if q not in ignore}
        state = (tuple(sorted(handled.items())), pending, tuple(sorted(depths.items())))
        now = time.time()
        idle = pending == 0 and not any(depths.values()) and (done is None or done())
        if state != last or not idle:
            last, since = state, now
        elif now - since >= stable:
            return Quiet(since, False)
        time.sleep(every)
    return Quiet(time.time(), True)


# --- rates ----------------------------------------------------------------------------------


@dataclass
class Rate:
    count: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds > 0 else 0.0


def steady_rate(stamps: list[float]) -> Rate:
    """The rate between the tenth-percentile and the last of a run of timestamps (what the
    no-op ceiling measures too: its worker's own task 1/10 K … K)."""
    ordered = sorted(stamps)
    if len(ordered) < 2:
        return Rate(len(ordered), 0.0)
    first = len(ordered) // 10
    return Rate(len(ordered) - 1 - first, ordered[-1] - ordered[first])


def relay_rates(published: list[Published], service: str, full: int = 100) -> list[float]:
    """Rows per second a relay published in batches of at least ``full`` rows: a batch is the
    rows marked published together, and it took at most the time since the previous batch."""
    batches: dict[float, int] = {}
    for p in published:
        if p.service == service and p.published_at is not None:
            batches[p.published_at] = batches.get(p.published_at, 0) + 1
    ordered = sorted(batches.items())
    return [
        size / (at - before)
        for (before, _), (at, size) in itertools.pairwise(ordered)
        if size >= full and at > before
    ]


def window(rows: Iterable[Any], attr: str, start: float, end: float) -> list[Any]:
    return [r for r in rows if (t := getattr(r, attr)) is not None and start <= t <= end]


# --- latency from a request to the public status --------------------------------------------


@dataclass(frozen=True)
class Sample:
    expect: Expect
    event: Published | None
    handled_at: float | None
    emails: tuple[float, ...] = ()  # when the sink accepted each email of the event
    notified_at: float | None = None  # when notification's worker handled the event

    @property
    def total(self) -> float | None:
        """Response received → registration handled the event (its status update)."""
        return None if self.handled_at is None else self.handled_at - self.expect.responded_at

    @property
    def lag(self) -> float | None:
        """Event written (in the request's transaction) → handled by registration's worker."""
        if self.event is None or self.handled_at is None:
            return None
        return self.handled_at - self.event.created_at

    @property
    def batch(self) -> float | None:
        """Event written → its relay batch marked published (after the whole batch went out)."""
        e = self.event
        return None if e is None or e.published_at is None else e.published_at - e.created_at

    @property
    def to_notification(self) -> float | None:
        """Event written → handled by notification's worker (its emails queued)."""
        if self.event is None or self.notified_at is None:
            return None
        return self.notified_at - self.event.created_at

    @property
    def sending(self) -> float | None:
        """Handled by notification's worker → its last email accepted by the sink."""
        if self.notified_at is None or not self.emails or max(self.emails) == float("inf"):
            return None
        return max(self.emails) - self.notified_at

    @property
    def last_email(self) -> float | None:
        """Response received → the last email about the event accepted by the sink."""
        if not self.emails:
            return None
        last = max(self.emails)
        return None if last == float("inf") else last - self.expect.responded_at


def samples(
    expects: list[Expect],
    published: list[Published],
    handled: list[Handled],
    emails: dict[uuid.UUID, list[float]] | None = None,
) -> list[Sample]:
    by_key: dict[tuple[str, str], list[Published]] = {}
    for p in published:
        if p.service == "evaluation" and p.dossier_id:
            by_key.setdefault((p.dossier_id, p.type), []).append(p)
    at = {h.event_id: h.handled_at for h in handled if h.service == "registration"}
    notified = {h.event_id: h.handled_at for h in handled if h.service == "notification"}
    out = []
    for x in expects:
        candidates = [
            p
            for p in by_key.get((x.dossier_id, x.type), [])
            if all(str(p.payload.get(k)) == v for k, v in x.match)
        ]
        event = candidates[0] if len(candidates) == 1 else None
        if event is None:
            out.append(Sample(x, None, None))
            continue
        sent = tuple((emails or {}).get(event.event_id, ()))
        ids = event.event_id
        out.append(Sample(x, event, at.get(ids), sent, notified.get(ids)))
    return out


@dataclass(frozen=True)
class Percentiles:
    count: int
    missing: int
    p50: float
    p90: float
    p99: float
    max: float

    @classmethod
    def of(cls, values: list[float | None]) -> Percentiles:
        got = [v for v in values if v is not None]
        return cls(
            len(got),
            len(values) - len(got),
            percentile(got, 50),
            percentile(got, 90),
            percentile(got, 99),
            max(got, default=0.0),
        )


# --- stalls of a Celery worker -------------------------------------------------------------

# Celery's line for each task it receives, and the event worker's line for each batch:
# "Task bench.noop[<id>] received", "Tasks ocop.event received: <id> <id> …".
_RECEIVED = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/\w+\] "
    r"(?:Task [\w.]+\[([0-9a-f-]+)\] received|Tasks [\w.]+ received: ([0-9a-f -]+))"
)


@dataclass(frozen=True)
class Stalls:
    """Gaps between consecutive tasks a worker received while it had a backlog."""

    count: int
    seconds: float
    longest: float

    def __str__(self) -> str:
        if not self.count:
            return "no stall"
        return (
            f"{self.count} stalls ≥ {STALL_GAP:g} s with work waiting, {self.seconds:.1f} s "
            f"in all, longest {self.longest:.2f} s"
        )


STALL_GAP = 0.5


_SUCCEEDED = re.compile(r"Task ([\w.]+)\[[0-9a-f-]+\] succeeded in ([0-9.e-]+)s")


def busy(log: Path) -> dict[str, tuple[int, float]]:
    """Per task name: how many a Celery worker ran and the seconds it spent in them (wall
    time, "succeeded in" of its log; I/O waits included)."""
    found: dict[str, tuple[int, float]] = {}
    with contextlib.suppress(OSError), log.open(errors="replace") as f:
        for line in f:
            m = _SUCCEEDED.search(line)
            if m:
                n, seconds = found.get(m[1], (0, 0.0))
                found[m[1]] = (n + 1, seconds + float(m[2]))
    return found


def received(log: Path) -> list[tuple[float, str]]:
    """(time, task id) of every task a Celery worker's log says it received (local time, to
    the millisecond). The relays publish each event with its event id as the task id."""
    found = []
    with contextlib.suppress(OSError), log.open(errors="replace") as f:
        for line in f:
            m = _RECEIVED.match(line)
            if m:
                t = time.mktime(time.strptime(m[1][:19], "%Y-%m-%d %H:%M:%S"))
                at = t + int(m[1][20:]) / 1000
                found.extend((at, task_id) for task_id in (m[2] or m[3]).split())
    return found


def stalls(log: Path, start: float, end: float) -> Stalls:
    """Gaps of at least ``STALL_GAP`` between tasks received in [start, end]. Call it only on
    a window in which the worker had a backlog: a gap is then time it sat with work waiting."""
    stamps = [t for t, _ in received(log) if start <= t <= end]
    gaps = [b - a for a, b in itertools.pairwise(stamps) if b - a >= STALL_GAP]
    return Stalls(len(gaps), sum(gaps), max(gaps, default=0.0))


def event_stalls(log: Path, published: list[Published]) -> tuple[int, Stalls]:
    """Events a product worker received, and its stalls: gaps of at least ``STALL_GAP``
    before receiving an event its relay had marked published before the gap began (so the
    event sat in the broker the whole gap while the worker received nothing)."""
    at = {str(p.event_id): p.published_at for p in published if p.published_at is not None}
    stamps = received(log)
    gaps = []
    for (before, _), (t, task_id) in itertools.pairwise(stamps):
        was_published = at.get(task_id)
        if t - before >= STALL_GAP and was_published is not None and was_published <= before:
            gaps.append(t - before)
    return len(stamps), Stalls(len(gaps), sum(gaps), max(gaps, default=0.0))


# --- the machine ----------------------------------------------------------------------------


def own_cpu() -> float:
    """User + system CPU of this process (the client threads, the samplers, the measuring)."""
    t = os.times()
    return t.user + t.system


def cpu_by_command(*commands: str) -> dict[str, float]:
    """User + system CPU seconds of every process whose command name is one of ``commands``
    (PostgreSQL's backends, RabbitMQ's VM: shared servers, so other work on them counts too)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = dict.fromkeys(commands, 0.0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        if comm in total:
            fields = stat.rsplit(")", 1)[1].split()
            total[comm] += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return float(sum(fields) - idle), float(sum(fields))
