"""Sessions and current powers (ADR 0002): signing out ends a token for every service, and the
account's own row says whether its tokens still speak for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import select

from services.registration.models import Account, revoked_tokens
from shared import powers
from shared.auth import AccountState, AccountStateLookup, VerifiedToken
from shared.db import Database, UnitOfWork, as_utc
from shared.events import Actor, new_event


def sign_out(*, uow: UnitOfWork, token: VerifiedToken) -> None:
    """Refuse ``token`` from now on: here at once, in the other services once they hear
    ``account.signed_out``. Only this token: the person's other sessions go on. Signing out
    twice with the same token (a retry) tells nobody anything more."""
    if not token.token_id or len(token.token_id) > powers.TOKEN_ID_LENGTH:
        return  # not a token this service issued (they all carry a short jti)
    principal = token.principal
    expires_at = datetime.fromtimestamp(token.expires_at, UTC)
    first = powers.revoke(
        uow.session,
        revoked_tokens,
        token_id=token.token_id,
        account_id=uuid.UUID(principal.account_id),
        expires_at=expires_at,
    )
    if first:
        payload = {
            "account_id": principal.account_id,
            "token_id": token.token_id,
            "expires_at": expires_at,
        }
        actor = Actor(principal.account_id, principal.primary_role)
        event = new_event("account.signed_out", payload, producer="registration", actor=actor)
        uow.add_event(event)


def account_state(db: Database) -> AccountStateLookup:
    """The token check's lookup: the account itself (this service owns it) and its signed-out
    tokens."""

    def state(account_id: str) -> AccountState | None:
        key = uuid.UUID(account_id)
        with db.reader() as session:
            row = session.execute(
                select(Account.active, Account.powers_changed_at).where(Account.id == key)
            ).first()
            if row is None:
                return None
            signed_out = powers.revoked_ids(session, revoked_tokens, key)
        changed = row.powers_changed_at
        return AccountState(
            active=row.active,
            not_before=as_utc(changed) if changed is not None else None,
            revoked=signed_out,
        )

    return state
