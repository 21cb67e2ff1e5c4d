"""One-time links emailed to an account's holder: to set a password (a reset asked for by
email, an official's invitation) or to confirm a self-registered account's email.

A link's token is 32 random bytes; only its SHA-256 is kept (a copy of the database opens no
account), one link per account (a newer one replaces the older), deleted once used, refused
after it lapses. The token itself travels only in the event (``account.password_link_issued``,
``account.email_confirmation_issued``), from which the notification service emails the link.
Whoever opens any of them proves the address is theirs.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.registration.models import Account, PasswordLink
from shared.db import UnitOfWork, as_utc, dialect_insert, table_of
from shared.errors import DomainError
from shared.events import Actor, new_event

RESET_LIFETIME = timedelta(hours=1)
INVITATION_LIFETIME = timedelta(days=7)
LIFETIMES = {
    "reset": RESET_LIFETIME,
    "invitation": INVITATION_LIFETIME,
    "confirmation": INVITATION_LIFETIME,
}
# The links that set a password; a confirmation link only confirms the email.
PASSWORD_PURPOSES = ("reset", "invitation")
EVENTS = {
    "reset": "account.password_link_issued",
    "invitation": "account.password_link_issued",
    "confirmation": "account.email_confirmation_issued",
}


def digest(token: str) -> str:
    """What is kept of a token: its SHA-256 (the token is random, so no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(uow: UnitOfWork, account: Account, purpose: str, actor: Actor) -> None:
    """A new one-time link for ``account`` (the older one no longer works), told in an event."""
    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    expires_at = now + LIFETIMES[purpose]
    # One statement replacing the account's link, if any: two requests at once for the same
    # account leave one link (the later), never a duplicate key.
    row = {"token_hash": digest(token), "purpose": purpose, "created_at": now}
    row["expires_at"] = expires_at
    table = table_of(PasswordLink)
    upsert = dialect_insert(uow.session)(table).values(account_id=account.id, **row)
    uow.session.execute(upsert.on_conflict_do_update(index_elements=["account_id"], set_=row))
    payload = {
        "account_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "language": account.language,
        "token": token,
        "expires_at": expires_at,
    }
    if purpose != "confirmation":
        payload["purpose"] = purpose
    uow.add_event(new_event(EVENTS[purpose], payload, producer="registration", actor=actor))


class LinkGone(DomainError):
    """The link was used, replaced by a newer one, or has lapsed (or never existed)."""

    status, slug, title = 410, "gone", "Gone"


def find(
    session: Session, token: str, purposes: tuple[str, ...], gone: str
) -> tuple[PasswordLink, Account]:
    """The live link of one of ``purposes`` with this token, and its active account; else
    ``LinkGone(gone)`` (a reset link confirms no email and a confirmation sets no password)."""
    link = session.execute(
        select(PasswordLink).where(PasswordLink.token_hash == digest(token))
    ).scalar_one_or_none()
    if link is None or link.purpose not in purposes or as_utc(link.expires_at) <= datetime.now(UTC):
        raise LinkGone(gone)
    account = session.get(Account, link.account_id)
    if account is None or not account.active:
        raise LinkGone(gone)
    return link, account


def use_up(session: Session, link: PasswordLink, gone: str) -> None:
    """Delete the link, whoever else holds it: of two requests racing with one link, the
    second deletes nothing (it waits for the first's commit) and is refused."""
    used = session.execute(delete(PasswordLink).where(PasswordLink.token_hash == link.token_hash))
    if getattr(used, "rowcount", 0) != 1:
        raise LinkGone(gone)
