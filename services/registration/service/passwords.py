"""Passwords: changed by their holder, or set through a one-time link sent by email (a reset
asked for with "forgot password", or an official's invitation: ``password_links``).

Asking for a reset answers the same whether the email has an account or not (nobody learns who
has one), and is limited per email and per client. Setting a password, by link or by changing
it, ends every session of the account (its tokens issued before are refused everywhere, ADR
0002); the person who set it gets a fresh one.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.registration.adapters.keys import KeyRing
from services.registration.models import Account, PasswordLink, rate_limits
from services.registration.service import accounts as account_service
from services.registration.service import password_links
from shared import ratelimit
from shared.auth import Principal
from shared.config import Settings
from shared.db import Database, UnitOfWork, as_utc
from shared.errors import Forbidden, Invalid, NotFound
from shared.events import Actor

# Links asked for per email per hour: enough for a lost email or two, not a mailbox flood.
LINKS_PER_EMAIL_PER_HOUR = 5
GONE = "password_link.gone"


def _now_ms() -> datetime:
    """Now, to the millisecond below: tokens carry their issue time to the millisecond, and
    one issued right after a password change must not count as issued before it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def request_reset(*, db: Database, settings: Settings, email: str, client: str) -> None:
    """Forgot password: a reset link to the account's address if there is an active account
    with that email; nothing otherwise, and the caller is told the same either way."""
    email = email.strip().lower()
    hourly = ratelimit.RateLimit(
        "password_link_email", LINKS_PER_EMAIL_PER_HOUR, window_seconds=3600
    )
    ratelimit.hit(db, rate_limits, hourly, f"email:{email}")
    per_client = ratelimit.RateLimit(
        "password_link_client", settings.login_attempts_per_client_per_minute
    )
    ratelimit.hit(db, rate_limits, per_client, f"client:{client}")
    with db.unit_of_work() as uow:
        account = uow.session.execute(
            select(Account).where(Account.email == email)
        ).scalar_one_or_none()
        if account is None or not account.active:
            return
        # Someone who never chose a password (an invitation, an imported producer) claims the
        # account this way too; the words of the email say "set", not "reset".
        purpose = "reset" if account.password_hash else "invitation"
        password_links.issue(uow, account, purpose, Actor(None, None))  # whoever asked is unknown
        uow.commit()


def send_link(*, uow: UnitOfWork, principal: Principal, account_id: uuid.UUID) -> Account:
    """An administrator sends an account a new link: an invitation while it has no password
    (the first one lapsed or was lost), else a reset. The older link no longer works."""
    if not principal.has("admin"):
        raise Forbidden("account.admins_only")
    account = uow.session.get(Account, account_id)
    if account is None:
        raise NotFound("account.not_found")
    if not account.active:
        raise Invalid(errors={"active": "account.deactivated"})
    purpose = "reset" if account.password_hash else "invitation"
    password_links.issue(uow, account, purpose, Actor(principal.account_id, principal.primary_role))
    return account


def _valid_link(session: Session, token: str) -> tuple[PasswordLink, Account]:
    return password_links.find(session, token, password_links.PASSWORD_PURPOSES, GONE)


def check_link(*, db: Database, token: str) -> dict[str, Any]:
    """What a link is for and whose it is (the page shows it before asking for a password)."""
    with db.reader() as session:
        link, account = _valid_link(session, token)
        return {
            "purpose": link.purpose,
            "email": account.email,
            "display_name": account.display_name,
            "expires_at": as_utc(link.expires_at),
        }


def _set(uow: UnitOfWork, account: Account, password: str, actor: Actor) -> None:
    """Store the new password and end every session of the account, here and (by the event)
    in every service."""
    account.password_hash = account_service.hash_password(password)
    account.powers_changed_at = _now_ms()
    uow.session.execute(delete(PasswordLink).where(PasswordLink.account_id == account.id))
    uow.add_event(account_service.account_event("account.updated", account, actor))


def _session_for(keyring: KeyRing, settings: Settings, account: Account) -> dict[str, Any]:
    return {
        "access_token": keyring.issue(settings, account_service.claims_of(account)),
        "token_type": "Bearer",
        "expires_in": settings.token_ttl_seconds,
        "account": account,
    }


def set_by_link(
    *, db: Database, keyring: KeyRing, settings: Settings, token: str, password: str
) -> dict[str, Any]:
    """Set the password with a link (used once), end the account's sessions, sign its holder
    in."""
    with db.unit_of_work() as uow:
        link, account = _valid_link(uow.session, token)
        password_links.use_up(uow.session, link, GONE)
        _set(uow, account, password, Actor(str(account.id), account.roles[0]))
        # Only the holder of the address could open the link.
        account.email_confirmed_at = account.email_confirmed_at or datetime.now(UTC)
        uow.commit()
    return _session_for(keyring, settings, account)


def change(
    *,
    db: Database,
    keyring: KeyRing,
    settings: Settings,
    principal: Principal,
    current_password: str,
    new_password: str,
) -> dict[str, Any]:
    """The signed-in person changes their password, knowing the current one: their other
    sessions end, and this one goes on with the fresh token returned."""
    account_id = uuid.UUID(principal.account_id)
    ratelimit.hit(
        db,
        rate_limits,
        ratelimit.RateLimit("password_change", settings.login_attempts_per_minute),
        f"account:{account_id}",
    )
    with db.unit_of_work() as uow:
        account = uow.session.get(Account, account_id)
        if account is None:
            raise NotFound("account.not_found")
        try:
            account_service.verify_password(account.password_hash, current_password)
        except (VerificationError, InvalidHashError) as exc:
            raise Invalid(errors={"current_password": "account.wrong_password"}) from exc
        _set(uow, account, new_password, Actor(principal.account_id, principal.primary_role))
        uow.commit()
    return _session_for(keyring, settings, account)
