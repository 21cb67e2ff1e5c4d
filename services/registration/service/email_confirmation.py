"""A self-registered account proves its email address is its holder's.

Registering sends a one-time link (``password_links``, purpose "confirmation", valid 7 days);
opening it confirms the address. Until then, where the deployment requires it
(``OCOP_EMAIL_CONFIRMATION=required``, the default), the account may prepare producers and
dossiers but not submit one: the commune would otherwise receive a case whose letters reach
nobody, or someone else. Officials are created by an administrator, who vouches for their
address; setting a password through an emailed link proves it too.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.registration.models import Account, rate_limits
from services.registration.service import password_links
from shared import ratelimit
from shared.auth import OFFICIAL_ROLES, Principal
from shared.config import Settings
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, NotFound
from shared.events import Actor

GONE = "email_confirmation.gone"
# Links asked for again per account per hour: a lost email or two, not a mailbox flood.
RESENDS_PER_HOUR = 5


def ask(uow: UnitOfWork, settings: Settings, account: Account, actor: Actor) -> None:
    """Email a newly registered account its confirmation link, unless the deployment asks for
    none."""
    if settings.email_confirmation != "off":
        password_links.issue(uow, account, "confirmation", actor)


def confirm(*, db: Database, token: str) -> Account:
    """Confirm the address with the link's token (used once); confirming twice is harmless
    but the second time the link is gone."""
    with db.unit_of_work() as uow:
        link, account = password_links.find(uow.session, token, ("confirmation",), GONE)
        password_links.use_up(uow.session, link, GONE)
        account.email_confirmed_at = account.email_confirmed_at or datetime.now(UTC)
        uow.commit()
    return account


def resend(*, db: Database, settings: Settings, principal: Principal) -> Account:
    """The signed-in holder of an unconfirmed account asks for a new link (the older one
    stops working)."""
    account_id = uuid.UUID(principal.account_id)
    hourly = ratelimit.RateLimit("email_confirmation", RESENDS_PER_HOUR, window_seconds=3600)
    ratelimit.hit(db, rate_limits, hourly, f"account:{account_id}")
    with db.unit_of_work() as uow:
        account = uow.session.get(Account, account_id)
        if account is None:
            raise NotFound("account.not_found")
        if account.email_confirmed_at is not None:
            raise Conflict("email_confirmation.already_confirmed")
        if settings.email_confirmation == "off":
            raise Conflict("email_confirmation.not_used")
        password_links.issue(uow, account, "confirmation", Actor(str(account.id), account.roles[0]))
        uow.commit()
    return account


def check_may_submit(session: Session, settings: Settings, principal: Principal) -> None:
    """Refuse a submission by a self-registered account whose email is unconfirmed, where the
    deployment requires confirmation."""
    if settings.email_confirmation != "required" or principal.has(*OFFICIAL_ROLES):
        return
    account = session.get(Account, uuid.UUID(principal.account_id))
    if account is not None and account.email_confirmed_at is None:
        raise Conflict("email_confirmation.required", email=account.email)
