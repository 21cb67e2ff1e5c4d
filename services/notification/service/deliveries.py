"""Deliveries: queue one email per (event, recipient), send what is due, record the outcome.

Queuing happens in the consumer's unit of work (with the inbox row), so a redelivered event
queues nothing more. Sending happens after commit, by ``send_pending``: it leases due rows (as
the outbox relay does), sends each through SMTP, and records the outcomes with their
``notification.sent`` / ``notification.failed`` events in one unit of work per batch.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from services.notification.adapters.mail_settings import MailSettings
from services.notification.adapters.smtp import Mailer, SendFailed
from services.notification.adapters.templating import Catalogue
from services.notification.domain import delivery as rules
from services.notification.domain import messages
from services.notification.domain.delivery import Failure, Status
from services.notification.domain.recipients import EventFacts, Recipient, recipients
from services.notification.models import Delivery
from services.notification.service.access import can_read_case_log, me
from services.notification.service.contacts import SqlContacts
from shared.auth import Principal
from shared.db import Database, UnitOfWork, is_sqlite
from shared.errors import Forbidden, NotFound, Refused
from shared.events import Actor, Event, new_event
from shared.ids import new_id

log = logging.getLogger(__name__)

SYSTEM = Actor(user_id=None, role="system")
# Set on a unit of work's session when it queued deliveries: the runtime wakes a sender after
# commit (see runtime.Notification).
QUEUED_FLAG = "notification.queued"
# The ``event_type`` of a digest's own delivery (it is about many events, see digests.py).
DIGEST = "digest"
# Outcomes are recorded per SMTP batch, or sooner once the oldest waiting one is this old: the
# longer they wait, the more a crashed sender sends again (see _send_batch).
RECORD_SECONDS = 1.0

_CASE_FIELDS = ("unit_tree", "province_code", "district_code", "commune_code")


def _uuid(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def queue(
    *,
    uow: UnitOfWork,
    event: Event,
    catalogue: Catalogue,
    mail: MailSettings,
    people: list[Recipient] | None = None,
) -> list[Delivery]:
    """Queue one rendered email per person the rules name for ``event`` (or, for a message to
    the one person an event names whole, such as a password link, to ``people``)."""
    p = event.payload
    dossier_id = event.dossier_id or _uuid(p.get("dossier_id"))
    now = datetime.now(UTC)
    queued = []
    if people is None:
        facts = EventFacts(event.type, p, event.actor.user_id)
        people = recipients(facts, SqlContacts(uow.session))
    for r in people:
        rendered = catalogue.render(
            event_type=event.type,
            payload=p,
            recipient=r,
            portal_url=mail.portal_url,
            dossier_id=str(dossier_id) if dossier_id else None,
        )
        row = Delivery(
            id=new_id(),
            event_id=event.event_id,
            event_type=event.type,
            template=f"{r.language}/{event.type}",
            audience=r.audience,
            account_id=r.account_id,
            email=r.email,
            display_name=r.display_name,
            language=r.language,
            subject=rendered.subject,
            body_text=rendered.text,
            body_html=rendered.html,
            message_id=messages.message_id(event.event_id, r.account_id, mail.message_id_domain),
            dossier_id=dossier_id,
            owner_account_id=_uuid(p.get("owner_account_id")),
            consultant_account_ids=[str(c) for c in p.get("consultant_account_ids") or []],
            **{name: p.get(name) for name in _CASE_FIELDS},
            # A routine message for someone who opted in waits for the daily digest.
            status=Status.HELD if r.digest else Status.QUEUED,
            attempts=0,
            next_attempt_at=None if r.digest else now,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(row)
        queued.append(row)
    if any(row.status == Status.QUEUED for row in queued):
        uow.session.info[QUEUED_FLAG] = True
    return queued


@dataclass(slots=True)
class SendReport:
    """What one ``send_pending`` run did; ``next_due`` is the earliest retry it scheduled."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    next_due: datetime | None = None
    ids: list[uuid.UUID] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """One email handed to SMTP (or not), waiting to be recorded."""

    delivery_id: uuid.UUID
    failure: Failure | None
    at: datetime


def _due(now: datetime) -> tuple[ColumnElement[bool], ...]:
    return (
        Delivery.status.in_([s.value for s in rules.SENDABLE]),
        Delivery.next_attempt_at <= now,
        or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
    )


def _anything_due(db: Database, now: datetime) -> bool:
    # A plain read first: most wake-ups find the rows already sent by the run before, and on
    # SQLite a claim would take the write lock the event worker needs, just to find nothing.
    with db.reader() as session:
        return session.execute(select(Delivery.id).where(*_due(now)).limit(1)).first() is not None


def _claim(
    *, db: Database, owner: str, now: datetime, mail: MailSettings
) -> tuple[list[Delivery], datetime]:
    """Lease a batch of due rows to ``owner`` (skipping rows another sender holds); the rows
    come back whole, so sending them reads nothing more, with the lease's end."""
    until = now + timedelta(seconds=mail.lease_seconds)
    with db.unit_of_work() as uow:
        query = (
            select(Delivery)
            .where(*_due(now))
            .order_by(Delivery.next_attempt_at, Delivery.id)
            .limit(mail.batch_size)
        )
        if not is_sqlite(db.engine):  # SQLite's write lock already serialises claimers
            query = query.with_for_update(skip_locked=True)
        rows = list(uow.session.execute(query).scalars())
        if rows:
            uow.session.execute(
                update(Delivery)
                .where(Delivery.id.in_([row.id for row in rows]))
                .values(claimed_by=owner, claimed_until=until)
                .execution_options(synchronize_session=False)
            )
        uow.commit()
    return rows, until


def _delivery_facts(row: Delivery) -> dict[str, Any]:
    return {
        "delivery_id": row.id,
        "dossier_id": row.dossier_id,
        "event_id": row.event_id,
        "event_type": row.event_type,
        "account_id": row.account_id,
        "email": row.email,
        "template": row.template,
        "message_id": row.message_id,
        "attempts": row.attempts,
    }


def _event(row: Delivery, type: str, **extra: Any) -> Event:
    return new_event(
        type,
        {**_delivery_facts(row), **extra},
        producer="notification",
        actor=SYSTEM,
        dossier_id=row.dossier_id,
    )


def _settle(uow: UnitOfWork, row: Delivery, type: str, **extra: Any) -> None:
    """Record ``row``'s final outcome as its event. A digest has no event of its own: each
    message it carried takes the digest's outcome and gets the event, with its case."""
    if row.event_type != DIGEST:
        uow.add_event(_event(row, type, **extra))
        return
    items = uow.session.execute(
        select(Delivery).where(Delivery.digest_id == row.id, Delivery.status != Status.SENT)
    ).scalars()
    for item in items:
        item.status, item.attempts, item.updated_at = row.status, row.attempts, row.updated_at
        item.sent_at, item.last_error = row.sent_at, row.last_error
        uow.add_event(_event(item, type, digest_id=row.id, **extra))


def _apply(
    uow: UnitOfWork, row: Delivery, attempt: _Attempt, mail: MailSettings, report: SendReport
) -> None:
    """One attempt's outcome on its row, and its event."""
    failure, now = attempt.failure, attempt.at
    row.attempts += 1
    row.claimed_by = row.claimed_until = None
    row.updated_at = now
    if failure is None:
        row.status = Status.SENT
        row.sent_at = now
        row.next_attempt_at = None
        _settle(uow, row, "notification.sent", sent_at=now)
        report.sent += 1
        return
    row.last_error = failure.error[:2000]
    outcome = rules.after_failure(
        failure,
        attempts=row.attempts,
        max_attempts=mail.max_attempts,
        now=now,
        base_seconds=mail.retry_base_seconds,
        cap_seconds=mail.retry_cap_seconds,
    )
    row.status = outcome.status
    row.next_attempt_at = outcome.next_attempt_at
    if outcome.final:
        # The operator alert: an ERROR log line and an event the case file records.
        log.error(
            "email finally failed: delivery %s to %s after %d attempt(s): %s",
            row.id,
            row.email,
            row.attempts,
            failure.error,
        )
        _settle(uow, row, "notification.failed", error=row.last_error, permanent=failure.permanent)
        report.failed += 1
    else:
        log.warning("email to %s failed (try %d): %s", row.email, row.attempts, failure)
        report.retrying += 1
        due = outcome.next_attempt_at
        if due is not None and (report.next_due is None or due < report.next_due):
            report.next_due = due


def _record(
    *,
    db: Database,
    owner: str,
    attempts: list[_Attempt],
    release: list[uuid.UUID],
    mail: MailSettings,
    report: SendReport,
) -> None:
    """Record the outcomes of several attempts and their events in one unit of work, each only
    if its row's lease is still ``owner``'s; hand back the leases of ``release`` (not tried).

    Should that unit of work fail (a row whose event does not validate), each outcome is
    recorded on its own, so one bad row cannot leave the others to be sent again."""
    try:
        _record_together(db, owner, attempts, release, mail, report)
    except Exception:
        if len(attempts) + len(release) <= 1:
            raise
        log.exception("recording %d outcomes together failed; one by one", len(attempts))
        recorded = 0
        for attempt in attempts:
            try:
                _record_together(db, owner, [attempt], [], mail, report)
                recorded += 1
            except Exception:
                log.exception("could not record the attempt of delivery %s", attempt.delivery_id)
        if not recorded:
            raise  # the database, not a row: stop sending what could not be recorded either
        if release:
            _record_together(db, owner, [], release, mail, report)


def _record_together(
    db: Database,
    owner: str,
    attempts: list[_Attempt],
    release: list[uuid.UUID],
    mail: MailSettings,
    report: SendReport,
) -> None:
    ids = [a.delivery_id for a in attempts] + release
    if not ids:
        return
    tally = SendReport(next_due=report.next_due)  # counted into ``report`` once committed
    with db.unit_of_work() as uow:
        query = select(Delivery).where(Delivery.id.in_(ids))
        if not is_sqlite(db.engine):
            # Lock them, so a sender taking over an expired lease waits for this commit.
            query = query.with_for_update()
        rows = {row.id: row for row in uow.session.execute(query).scalars()}
        for attempt in attempts:
            row = rows.get(attempt.delivery_id)
            if row is None or row.claimed_by != owner:
                continue  # our lease expired and another sender took the row over
            _apply(uow, row, attempt, mail, tally)
        for delivery_id in release:
            row = rows.get(delivery_id)
            if row is not None and row.claimed_by == owner:
                row.claimed_by = row.claimed_until = None
        uow.commit()
    report.sent += tally.sent
    report.retrying += tally.retrying
    report.failed += tally.failed
    report.next_due = tally.next_due


def send_pending(
    *,
    db: Database,
    mail: MailSettings,
    mailer: Callable[[MailSettings], Mailer] = Mailer,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> SendReport:
    """Send every delivery that is due, once each, batch after batch until a claim comes back
    short; safe to run in several processes at once."""
    owner = f"sender-{uuid.uuid4().hex[:12]}"
    report = SendReport()
    if not _anything_due(db, now()):
        return report
    # One SMTP connection for the whole run (it connects on the first send).
    with mailer(mail) as smtp:
        while True:
            rows, until = _claim(db=db, owner=owner, now=now(), mail=mail)
            if not rows:
                break
            _send_batch(
                db=db,
                smtp=smtp,
                rows=rows,
                until=until,
                owner=owner,
                mail=mail,
                now=now,
                report=report,
            )
            if len(rows) < mail.batch_size:
                # Nothing more was due at the claim. What was queued since woke another run
                # (after its commit), so an empty claim under the write lock is not needed.
                break
    return report


def _send_batch(
    *,
    db: Database,
    smtp: Mailer,
    rows: list[Delivery],
    until: datetime,
    owner: str,
    mail: MailSettings,
    now: Callable[[], datetime],
    report: SendReport,
) -> None:
    """Send a claimed batch, recording outcomes together: after the batch, or sooner when the
    oldest unrecorded one is ``RECORD_SECONDS`` old (a slow server). A crash between a send
    and its record means that email goes again once the lease lapses, under its Message-ID."""
    attempts: list[_Attempt] = []
    oldest = 0.0
    # An SMTP exchange can take about the timeout; stop sending well before the lease lapses.
    stop_at = until - timedelta(seconds=min(mail.smtp_timeout, mail.lease_seconds / 2))
    for i, row in enumerate(rows):
        if now() >= stop_at:
            # The lease may lapse while this one is sent, and another sender could then send
            # it too: hand the rest back instead.
            release = [r.id for r in rows[i:]]
            _record(
                db=db, owner=owner, attempts=attempts, release=release, mail=mail, report=report
            )
            return
        try:
            message = messages.encode(
                rendered=messages.Rendered(row.subject, row.body_text, row.body_html),
                sender=mail.mail_from,
                sender_name=mail.mail_from_name,
                to_email=row.email,
                to_name=row.display_name,
                message_id=row.message_id,
                date=now(),
            )
        except ValueError as exc:
            # Nothing to retry: the row itself cannot make a valid message (operator alert).
            failure: Failure | None = Failure(f"cannot build the message: {exc}", permanent=True)
        else:
            failure = None
            try:
                smtp.send(message, sender=mail.mail_from, to=row.email)
            except SendFailed as exc:
                failure = exc.failure
        if not attempts:
            oldest = time.monotonic()
        attempts.append(_Attempt(row.id, failure, now()))
        report.ids.append(row.id)
        if time.monotonic() - oldest >= RECORD_SECONDS:
            _record(db=db, owner=owner, attempts=attempts, release=[], mail=mail, report=report)
            attempts = []
    _record(db=db, owner=owner, attempts=attempts, release=[], mail=mail, report=report)


def replay(*, uow: UnitOfWork, principal: Principal, delivery_id: uuid.UUID) -> Delivery:
    """Queue a finally failed delivery again (operators), under the same Message-ID."""
    if not principal.has("admin"):
        raise NotFound("delivery.not_found")
    row = uow.session.get(Delivery, delivery_id)
    if row is None:
        raise NotFound("delivery.not_found")
    if row.status != Status.FAILED_PERMANENT:
        raise Refused("delivery.not_failed", delivery_status=row.status)
    now = datetime.now(UTC)
    row.status = Status.QUEUED
    row.attempts = 0  # a fresh budget of retries; last_error keeps why it failed before
    row.next_attempt_at = now
    row.updated_at = now
    uow.session.info[QUEUED_FLAG] = True
    return row


Page = tuple[list[Delivery], uuid.UUID | None]


def _page(session: Session, query: Any, limit: int) -> Page:
    """Up to ``limit`` rows and the cursor of the next page (the last row's id; None at the
    end): one row more is read to know whether there is a next page."""
    rows = list(session.execute(query.limit(limit + 1)).scalars())
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def for_dossier(
    *,
    session: Session,
    principal: Principal,
    dossier_id: uuid.UUID,
    after: uuid.UUID | None = None,
    limit: int = 50,
) -> Page:
    """A page of the deliveries about one case, oldest first, if the caller reaches the case."""
    first = session.execute(
        select(Delivery).where(Delivery.dossier_id == dossier_id).order_by(Delivery.id).limit(1)
    ).scalar_one_or_none()
    if first is None or not can_read_case_log(session, principal, first):
        raise NotFound("dossier.not_found")
    query = select(Delivery).where(Delivery.dossier_id == dossier_id)
    if after is not None:
        query = query.where(Delivery.id > after)
    return _page(session, query.order_by(Delivery.id), limit)


def mine(*, session: Session, principal: Principal, after: uuid.UUID | None, limit: int) -> Page:
    """A page of the deliveries addressed to the caller, newest first (keyset by id)."""
    query = select(Delivery).where(Delivery.account_id == me(principal))
    if after is not None:
        query = query.where(Delivery.id < after)
    return _page(session, query.order_by(Delivery.id.desc()), limit)


def failed(*, session: Session, principal: Principal, after: uuid.UUID | None, limit: int) -> Page:
    """A page of the deliveries that finally failed (operators), newest first."""
    if not principal.has("admin"):
        raise Forbidden("delivery.operators_only")
    query = select(Delivery).where(Delivery.status == Status.FAILED_PERMANENT)
    if after is not None:
        query = query.where(Delivery.id < after)
    return _page(session, query.order_by(Delivery.id.desc()), limit)
