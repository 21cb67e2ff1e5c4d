"""The daily digest: each official who opted in gets the routine messages held for them
(``recipients.ROUTINE``) in one email, queued for the sender like any other delivery.

Gathering is one unit of work per person: the held rows move to ``in_digest`` and point at the
digest's delivery in the same transaction that creates it, so a second run (or a concurrent
one) finds nothing left to gather. The digest's outcome is passed on to each message it carried,
with its own ``notification.sent``/``failed`` event (see deliveries._settle).

Opting out releases what is still held (``release``): each message is queued as the ordinary
delivery it would have been, so it goes out at once, on its own, once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import select

from services.notification.adapters.mail_settings import MailSettings
from services.notification.adapters.templating import DIGEST_TEMPLATE, Catalogue, DigestItem
from services.notification.domain import messages
from services.notification.domain.delivery import Status
from services.notification.domain.recipients import Recipient
from services.notification.models import Delivery
from services.notification.service.contacts import SqlContacts
from services.notification.service.deliveries import DIGEST, QUEUED_FLAG
from shared.db import Database, UnitOfWork, as_utc, is_sqlite
from shared.ids import new_id


def collect(
    *,
    db: Database,
    catalogue: Catalogue,
    mail: MailSettings,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> int:
    """Queue one digest per person with held messages; returns how many were queued."""
    with db.reader() as session:
        accounts = list(
            session.execute(
                select(Delivery.account_id).where(Delivery.status == Status.HELD).distinct()
            ).scalars()
        )
    made = 0
    for account_id in accounts:
        with db.unit_of_work() as uow:
            if _gather(
                uow=uow, db=db, account_id=account_id, catalogue=catalogue, mail=mail, now=now()
            ):
                made += 1
            uow.commit()
    return made


def _gather(
    *,
    uow: UnitOfWork,
    db: Database,
    account_id: uuid.UUID,
    catalogue: Catalogue,
    mail: MailSettings,
    now: datetime,
) -> bool:
    query = (
        select(Delivery)
        .where(Delivery.account_id == account_id, Delivery.status == Status.HELD)
        .order_by(Delivery.id)
    )
    if not is_sqlite(db.engine):  # SQLite's write lock already serialises gatherers
        query = query.with_for_update(skip_locked=True)
    items = list(uow.session.execute(query).scalars())
    if not items:
        return False
    latest = items[-1]
    contact = SqlContacts(uow.session).get(account_id)
    recipient = Recipient(
        account_id=account_id,
        email=contact.email if contact else latest.email,
        display_name=contact.display_name if contact else latest.display_name,
        language=contact.language if contact else latest.language,
        audience=DIGEST,
    )
    rendered = catalogue.render_digest(
        items=[
            DigestItem(
                subject=item.subject,
                link=f"{mail.portal_url}/dossiers/{item.dossier_id}" if item.dossier_id else None,
                at=as_utc(item.created_at),
            )
            for item in items
        ],
        recipient=recipient,
    )
    event_id = new_id()  # the digest's own identity: its Message-ID derives from it
    digest = Delivery(
        id=new_id(),
        event_id=event_id,
        event_type=DIGEST,
        template=f"{recipient.language}/{DIGEST_TEMPLATE}",
        audience=DIGEST,
        account_id=account_id,
        email=recipient.email,
        display_name=recipient.display_name,
        language=recipient.language,
        subject=rendered.subject,
        body_text=rendered.text,
        body_html=rendered.html,
        message_id=messages.message_id(event_id, account_id, mail.message_id_domain),
        consultant_account_ids=[],
        status=Status.QUEUED,
        attempts=0,
        next_attempt_at=now,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(digest)
    for item in items:
        item.status = Status.IN_DIGEST
        item.digest_id = digest.id
        item.updated_at = now
    uow.session.info[QUEUED_FLAG] = True
    return True


def release(*, uow: UnitOfWork, account_id: uuid.UUID, now: datetime) -> int:
    """Queue for sending at once the messages held for ``account_id``'s digest (someone who
    opted out must not wait for a digest they no longer get); returns how many."""
    query = select(Delivery).where(
        Delivery.account_id == account_id, Delivery.status == Status.HELD
    )
    if uow.session.get_bind().dialect.name != "sqlite":
        # Wait for a digest being gathered right now: PostgreSQL re-checks the status after
        # the lock, so a row it took (in_digest) is not released as well.
        query = query.with_for_update()
    items = list(uow.session.execute(query).scalars())
    for item in items:
        item.status = Status.QUEUED
        item.next_attempt_at = now
        item.updated_at = now
    if items:
        uow.session.info[QUEUED_FLAG] = True  # wakes the sender after commit
    return len(items)
