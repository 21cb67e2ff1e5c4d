"""Current powers kept from events (ADR 0002): each service's own view of whether an account's
tokens still speak for it, read by the token check of ``shared.auth.CurrentPowers``.

Two tables every service that verifies tokens defines: ``account_powers`` (kept from
``account.created`` and ``account.updated``: active, and when roles, jurisdiction, councils or
the active flag last changed) and ``revoked_tokens`` (kept from ``account.signed_out``: the ids of
signed-out tokens until they would have expired). The registration service, which owns the
accounts, keeps the first on its accounts table and only needs the second.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Index,
    MetaData,
    String,
    Table,
    Uuid,
    delete,
    select,
    update,
)
from sqlalchemy.orm import Session

from shared.auth import AccountState, AccountStateLookup
from shared.db import Database, as_utc, insert_missing

TOKEN_ID_LENGTH = 64


def define_account_powers_table(metadata: MetaData) -> Table:
    return Table(
        "account_powers",
        metadata,
        Column("account_id", Uuid, primary_key=True),
        Column("active", Boolean, nullable=False),
        # Tokens issued before this are refused; none: unchanged since the account was created.
        Column("powers_changed_at", DateTime(timezone=True)),
        # When the newest account event applied here happened (a late, older one changes
        # nothing but can still move powers_changed_at forward).
        Column("as_of", DateTime(timezone=True), nullable=False),
    )


def define_revoked_tokens_table(metadata: MetaData) -> Table:
    return Table(
        "revoked_tokens",
        metadata,
        Column("token_id", String(TOKEN_ID_LENGTH), primary_key=True),
        Column("account_id", Uuid, nullable=False),
        Column("expires_at", DateTime(timezone=True), nullable=False),
        Index("ix_revoked_tokens_account", "account_id", "expires_at"),
    )


def _moment(value: Any) -> datetime | None:
    """A payload time (the wire's ISO string) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def record_account(
    session: Session, table: Table, payload: Mapping[str, Any], occurred_at: datetime
) -> None:
    """Keep what ``account.created`` or ``account.updated`` says about the account's powers.

    The active flag follows the newest event; the time of the last change only moves forward,
    whatever order events arrive in (a token refused once is never accepted again).
    """
    account_id = uuid.UUID(str(payload["account_id"]))
    changed = _moment(payload.get("powers_changed_at"))
    active = bool(payload.get("active", True))
    row = session.execute(select(table).where(table.c.account_id == account_id)).first()
    if row is None:
        # A concurrent first event for the same account fails on the key; its retry updates.
        session.execute(
            table.insert().values(
                account_id=account_id, active=active, powers_changed_at=changed, as_of=occurred_at
            )
        )
        return
    values: dict[str, Any] = {}
    known = as_utc(row.powers_changed_at) if row.powers_changed_at is not None else None
    if changed is not None and (known is None or changed > known):
        values["powers_changed_at"] = changed
    if as_utc(row.as_of) <= occurred_at:
        values.update(active=active, as_of=occurred_at)
    if values:
        session.execute(update(table).where(table.c.account_id == account_id).values(**values))


def revoke(
    session: Session, table: Table, *, token_id: str, account_id: uuid.UUID, expires_at: datetime
) -> bool:
    """Record a signed-out token until it would have expired; False if it already was. Tokens
    past their expiry are forgotten on the way (they are refused as expired anyway)."""
    session.execute(delete(table).where(table.c.expires_at < datetime.now(UTC)))
    row = {"token_id": token_id, "account_id": account_id, "expires_at": expires_at}
    return insert_missing(session, table, [row], unique=["token_id"]) == 1


def record_sign_out(session: Session, table: Table, payload: Mapping[str, Any]) -> None:
    """Keep what ``account.signed_out`` says: that token is refused until it expires."""
    expires_at = _moment(payload["expires_at"])
    assert expires_at is not None
    revoke(
        session,
        table,
        token_id=str(payload["token_id"]),
        account_id=uuid.UUID(str(payload["account_id"])),
        expires_at=expires_at,
    )


def revoked_ids(session: Session, table: Table, account_id: uuid.UUID) -> frozenset[str]:
    """The account's signed-out tokens that have not expired."""
    rows = session.execute(
        select(table.c.token_id).where(
            table.c.account_id == account_id, table.c.expires_at > datetime.now(UTC)
        )
    ).scalars()
    return frozenset(rows)


def lookup(db: Database, powers: Table, revoked: Table) -> AccountStateLookup:
    """``CurrentPowers``' lookup over the two tables of a service that keeps them from events."""

    def state(account_id: str) -> AccountState | None:
        key = uuid.UUID(account_id)
        with db.reader() as session:
            row = session.execute(
                select(powers.c.active, powers.c.powers_changed_at).where(
                    powers.c.account_id == key
                )
            ).first()
            signed_out = revoked_ids(session, revoked, key)
        if row is None and not signed_out:
            return None
        active, changed = (row.active, row.powers_changed_at) if row is not None else (True, None)
        return AccountState(
            active=active,
            not_before=as_utc(changed) if changed is not None else None,
            revoked=signed_out,
        )

    return state
