"""One-time links to set a password (a reset asked for by email, an official's invitation).

A link's token is 32 random bytes; only its SHA-256 is kept (a copy of the database opens no
account), one link per account (a newer one replaces the older), deleted once used, refused
after it lapses. The token itself travels only in ``account.password_link_issued``, from which
the notification service emails the link.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from services.registration.models import Account, PasswordLink
from shared.db import UnitOfWork, dialect_insert, table_of
from shared.events import Actor, new_event

RESET_LIFETIME = timedelta(hours=1)
INVITATION_LIFETIME = timedelta(days=7)
LIFETIMES = {"reset": RESET_LIFETIME, "invitation": INVITATION_LIFETIME}


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
        "purpose": purpose,
        "token": token,
        "expires_at": expires_at,
    }
    uow.add_event(
        new_event("account.password_link_issued", payload, producer="registration", actor=actor)
    )
