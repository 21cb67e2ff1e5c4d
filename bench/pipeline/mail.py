"""B2's emails: a decision → its emails accepted by the SMTP sink, and the sender's
rate against the sink's own ceiling, measured in the same run.

- **Decision latency.** For each decision request (the district finalise → ``evaluation.forwarded``;
  the authority's confirmation → ``evaluation.decided`` and ``certificate.issued``), the time from
  its response to the last email of those events accepted by the sink (``deliveries.sent_at``,
  stamped by the sender right after the sink's 250), at the pipeline's full rate.
- **Sender rate.** The sender (``ocop worker notification --sender``) is stopped while the
  dossiers are filed, so the intake's emails wait in the deliveries table (the event worker keeps
  consuming: that is the point of the separate queue). It is then started on that backlog; its
  saturated rate (tenth-percentile to last ``sent_at``, like the no-op ceiling) is judged against
  **raw SMTP sends from one process** (``smtplib``, one connection, messages encoded
  beforehand by the product's own ``messages.encode``) to the same sink, measured while the
  stack is quiet.
"""

from __future__ import annotations

import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import func, select

from bench.pipeline.drive import Expect
from bench.pipeline.measure import Databases, Percentiles, Published, Rate, epoch, steady_rate
from bench.pipeline.stack import Stack, ocop_argv, wait_log
from services.notification.domain.messages import Rendered, encode, message_id
from services.notification.models import Delivery
from shared.messaging import topology

SENDER = "notification-sender"
# The request of each decision step, and the events whose emails it causes.
DECISIONS = {
    "finalise-district": ("evaluation.forwarded",),
    "decide": ("evaluation.decided", "certificate.issued"),
}
P50_TARGET_S = 1.0
P99_TARGET_S = {"embedded": 3.0, "servers": 1.5}
CEILING_MESSAGES = 500


@dataclass
class MailReport:
    ceiling: Rate | None = None
    backlog: int = 0
    drain: Rate | None = None
    drain_window: tuple[float, float] | None = None
    sent: list[tuple[uuid.UUID, float]] = field(default_factory=list)  # (event id, sent_at)
    unfinished: list[str] = field(default_factory=list)


# --- the sender process ---------------------------------------------------------------------


def start_sender(stack: Stack, name: str = SENDER) -> None:
    server = stack.start(name, ocop_argv("worker", "notification", "--sender"))
    wait_log(server, "ready.")


def stop_sender(stack: Stack) -> None:
    stack.stop(SENDER)


def _queued(dbs: Databases) -> int:
    with dbs.engines["notification"].connect() as conn:
        query = select(func.count()).where(Delivery.status == "queued")
        return int(conn.execute(query).scalar_one())


def _events_waiting(broker_url: str) -> int:
    from bench.pipeline.measure import queue_depths

    return queue_depths(broker_url).get(topology.events_queue("notification").name, 0)


def drain_sender(
    report: MailReport, stack: Stack, dbs: Databases, broker_url: str, timeout: float = 600
) -> None:
    """Once notification has queued every intake email, start the sender on that backlog and
    time it until none is left."""
    deadline = time.monotonic() + timeout
    last, since = -1, time.monotonic()
    while time.monotonic() < deadline:  # the backlog stops growing
        count = _queued(dbs)
        if count != last or _events_waiting(broker_url):
            last, since = count, time.monotonic()
        elif time.monotonic() - since >= 2.0:
            break
        time.sleep(0.5)
    report.backlog = last
    t0 = time.time()
    start_sender(stack, f"{SENDER}-2")
    while _queued(dbs) and time.monotonic() < deadline:
        time.sleep(0.2)
    t1 = time.time()
    if _queued(dbs):
        report.unfinished.append(f"sender drain: {_queued(dbs)} of {last} emails left")
    report.drain_window = (t0, t1)
    stamps = [t for _e, t in _sent(dbs) if t0 <= t <= t1 + 1]
    report.drain = steady_rate(stamps)


def _sent(dbs: Databases) -> list[tuple[uuid.UUID, float]]:
    with dbs.engines["notification"].connect() as conn:
        query = select(Delivery.event_id, Delivery.sent_at).where(Delivery.sent_at.is_not(None))
        return [(e, epoch(at) or 0.0) for e, at in conn.execute(query)]


def collect(report: MailReport, dbs: Databases) -> None:
    report.sent = _sent(dbs)


# --- the sink's own ceiling -----------------------------------------------------------------


def smtp_ceiling(port: int, count: int = CEILING_MESSAGES, host: str = "127.0.0.1") -> Rate:
    """Raw SMTP sends from this one process over one connection, of messages encoded like the
    product's (``messages.encode``: a Vietnamese subject and body, multipart/alternative),
    all encoded before the clock starts: what the sink takes, with nothing else to do."""
    text = "Hồ sơ sản phẩm “Mật ong hoa cà phê” của HTX Đông Hà đã được nộp. " * 6
    rendered = Rendered("[OCOP] Hồ sơ đã nộp: Mật ong hoa cà phê", text, f"<p>{text}</p>")
    sender = "no-reply@ocop.local"
    messages = [
        (
            f"ceiling-{i}@bench.invalid",
            encode(
                rendered=rendered,
                sender=sender,
                sender_name="OCOP",
                to_email=f"ceiling-{i}@bench.invalid",
                to_name="Nguyễn Thị Hoa",
                message_id=message_id(uuid.uuid4(), uuid.uuid4(), "ocop.local"),
                date=datetime.now(UTC),
            ),
        )
        for i in range(count)
    ]
    stamps = []
    with smtplib.SMTP(host, port, timeout=30) as smtp:
        for to, message in messages:
            smtp.sendmail(sender, [to], message)
            stamps.append(time.time())
    return steady_rate(stamps)


# --- decision → emails ----------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionMail:
    step: str
    emails: tuple[float, ...]  # when the sink accepted each email of the decision's events
    responded_at: float

    @property
    def last(self) -> float | None:
        return max(self.emails) - self.responded_at if self.emails else None


def decisions(
    expects: list[Expect], published: list[Published], sent: list[tuple[uuid.UUID, float]]
) -> list[DecisionMail]:
    """Each decision request with the emails of the events it caused."""
    by_event: dict[uuid.UUID, list[float]] = {}
    for event_id, at in sent:
        by_event.setdefault(event_id, []).append(at)
    by_case: dict[tuple[str, str], list[Published]] = {}
    for p in published:
        if p.service == "evaluation" and p.dossier_id:
            by_case.setdefault((p.dossier_id, p.type), []).append(p)
    out = []
    for x in expects:
        if x.step not in DECISIONS:
            continue
        events = [
            p
            for type_ in DECISIONS[x.step]
            for p in by_case.get((x.dossier_id, type_), [])
            # The forwarded event of this step, not the commune's (same type, other level).
            if type_ != x.type or all(str(p.payload.get(k)) == v for k, v in x.match)
        ]
        emails = tuple(t for p in events for t in by_event.get(p.event_id, []))
        out.append(DecisionMail(x.step, emails, x.responded_at))
    return out


# --- the report -----------------------------------------------------------------------------

ROW = "{:<52} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7}  {}"


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def print_report(
    report: MailReport,
    mode: str,
    expects: list[Expect],
    published: list[Published],
    evaluation_window: tuple[float, float] | None,
) -> bool:
    """Decision latency and the sender's rate; True when every target holds."""
    ok = True
    target = P99_TARGET_S[mode]
    print(
        "\ndecision response → its last email accepted by the SMTP sink, ms "
        f"(targets p50 < {P50_TARGET_S * 1000:.0f}, p99 < {target * 1000:.0f}, {mode})"
    )
    print(ROW.format("decision", "n", "missing", "p50", "p90", "p99", "max", "result"))
    found = decisions(expects, published, report.sent)
    groups = [(s, [d for d in found if d.step == s]) for s in DECISIONS]
    for name, group in [*groups, ("both decisions", found)]:
        p = Percentiles.of([d.last for d in group])
        good = p.count > 0 and not p.missing and p.p50 < P50_TARGET_S and p.p99 < target
        ok &= good
        print(
            ROW.format(
                name,
                p.count,
                p.missing,
                f"{p.p50 * 1000:.0f}",
                f"{p.p90 * 1000:.0f}",
                f"{p.p99 * 1000:.0f}",
                f"{p.max * 1000:.0f}",
                _verdict(good),
            )
        )
    each = Percentiles.of([t - d.responded_at for d in found for t in d.emails])
    print(
        f"  every email of them ({each.count}): p50 {each.p50 * 1000:.0f}, "
        f"p99 {each.p99 * 1000:.0f}, max {each.max * 1000:.0f} ms"
    )

    print("\nsender: messages accepted by the sink per second")
    ceiling = report.ceiling.per_second if report.ceiling else 0.0
    if report.drain is not None and report.ceiling is not None:
        ratio = report.drain.per_second / ceiling if ceiling else 0.0
        # No target is set for this ratio: it is reported, not judged.
        print(
            f"  sender on a backlog of {report.backlog}: {report.drain.per_second:.1f}/s; raw SMTP "
            f"from one process ({report.ceiling.count + 1} messages): {ceiling:.1f}/s; ratio "
            f"{ratio:.2f}"
        )
    if evaluation_window is not None:
        t0, t1 = evaluation_window
        stamps = [t for _e, t in report.sent if t0 <= t <= t1]
        if stamps:
            rate = Rate(len(stamps), max(stamps) - t0)
            print(
                f"  during the evaluation phase (bound by the pipeline): {len(stamps)} emails, "
                f"{rate.per_second:.1f}/s"
            )
    for line in report.unfinished:
        ok = False
        print(f"!!! not finished: {line}")
    return ok
