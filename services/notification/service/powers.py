"""Current powers (ADR 0002): this service's view of whether an account's tokens still speak
for it, kept from account events and read by the token check of every request."""

from __future__ import annotations

from services.notification.models import account_powers, revoked_tokens
from shared import powers
from shared.auth import AccountStateLookup
from shared.db import Database, UnitOfWork
from shared.events import Event


def on_account(*, uow: UnitOfWork, event: Event) -> None:
    """Keep the account's powers (the contact is kept by ``contacts.record_account``)."""
    powers.record_account(uow.session, account_powers, event.payload, event.occurred_at)


def on_signed_out(*, uow: UnitOfWork, event: Event) -> None:
    """The token someone signed out with is refused from now on."""
    powers.record_sign_out(uow.session, revoked_tokens, event.payload)


def account_state(db: Database) -> AccountStateLookup:
    return powers.lookup(db, account_powers, revoked_tokens)
