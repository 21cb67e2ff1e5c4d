"""Accounts: self-registration of applicants and consultants, officials created by admins,
login with a rate limit, and the tokens other services verify."""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Text, and_, or_, select
from sqlalchemy.orm import Session

from services.registration.adapters.keys import KeyRing
from services.registration.models import Account, AdminUnit, rate_limits
from services.registration.service import email_confirmation, password_links
from shared import ratelimit
from shared.auth import OFFICIAL_ROLES, ROLES, Principal, UnitRef
from shared.config import Settings
from shared.db import Database, UnitOfWork
from shared.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from shared.events import Actor, new_event
from shared.ids import new_id
from shared.names import fold

SELF_SERVICE_ROLES = frozenset({"applicant", "consultant"})
# Roles that act within a jurisdiction and so need a unit.
UNIT_ROLES = frozenset(OFFICIAL_ROLES) - {"admin"}

# argon2id with OWASP's recommended memory-hard profile (19 MiB, 2 passes): the library default
# (64 MiB) would add its whole working memory to a web worker at every login.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    """The stored form of a password (argon2id with this service's parameters)."""
    return _hasher.hash(password)


def verify_password(stored: str, password: str) -> None:
    """Raises unless ``password`` is the one ``stored`` is the hash of. An account without a
    password (``""``: invited, or imported, until its holder sets one by link) matches nothing,
    after the cost of a real check (nobody learns by timing which accounts have none)."""
    if not stored:
        _hasher.verify(_dummy_hash(), password + "\x00")  # never equal: the cost of a miss
        raise VerificationError("no password set")
    _hasher.verify(stored, password)


@functools.cache
def _dummy_hash() -> str:
    """Verified against when the email is unknown, so a miss costs what a wrong password does."""
    return _hasher.hash("not-a-real-password")


def account_event(kind: str, account: Account, actor: Actor) -> Any:
    payload = {
        "account_id": account.id,
        "email": account.email,
        "display_name": account.display_name,
        "language": account.language,
        "roles": account.roles,
        "unit": account.unit,
        "councils": account.councils,
        "powers_changed_at": account.powers_changed_at,
    }
    if kind == "account.updated":
        payload["active"] = account.active
    return new_event(kind, payload, producer="registration", actor=actor)


def _check_unit(session: Session, unit: str | None, roles: list[str]) -> str | None:
    if not unit:
        if set(roles) & UNIT_ROLES:
            raise Invalid(errors={"unit": "account.unit_required"})
        return None
    if not set(roles) & set(OFFICIAL_ROLES):
        raise Invalid(errors={"unit": "account.unit_for_officials_only"})
    try:
        ref = UnitRef.parse(unit)
    except ValueError as exc:
        raise Invalid(errors={"unit": "unit.malformed"}) from exc
    if ref.level != "national":
        exists = session.execute(
            select(AdminUnit.id).where(
                AdminUnit.tree == ref.tree, AdminUnit.level == ref.level, AdminUnit.code == ref.code
            )
        ).first()
        if exists is None:
            raise Invalid(errors={"unit": ("unit.unknown", {"unit": unit})})
    return str(ref)


def _add(
    uow: UnitOfWork,
    *,
    email: str,
    password: str | None,
    display_name: str,
    language: str,
    roles: list[str],
    unit: str | None,
    councils: list[str],
    actor: Actor,
    confirmed: bool,
) -> Account:
    email = email.strip().lower()
    taken = uow.session.execute(select(Account.id).where(Account.email == email)).first()
    if taken is not None:
        raise Conflict("account.email_taken")
    now = datetime.now(UTC)
    account = Account(
        id=new_id(),
        email=email,
        # No password yet: its holder sets one with the invitation's link.
        password_hash=hash_password(password) if password else "",
        display_name=display_name,
        language=language,
        roles=sorted(set(roles)),
        unit=unit,
        councils=councils,
        created_at=now,
        email_confirmed_at=now if confirmed else None,
    )
    uow.session.add(account)
    actor = actor if actor.user_id else Actor(str(account.id), roles[0])
    uow.add_event(account_event("account.created", account, actor))
    return account


def register(
    *,
    uow: UnitOfWork,
    settings: Settings,
    email: str,
    password: str,
    display_name: str,
    language: str,
    role: str,
) -> Account:
    """An applicant or consultant registers themselves, and is emailed a link to confirm the
    address (``email_confirmation``)."""
    if role not in SELF_SERVICE_ROLES:
        raise Invalid(errors={"role": "account.not_self_service"})
    account = _add(
        uow,
        email=email,
        password=password,
        display_name=display_name,
        language=language,
        roles=[role],
        unit=None,
        councils=[],
        actor=Actor(None, role),
        # A deployment that asks for no confirmation takes the address as given.
        confirmed=settings.email_confirmation == "off",
    )
    uow.session.flush()  # the link refers to the account's row
    email_confirmation.ask(uow, settings, account, Actor(str(account.id), role))
    return account


def create(
    *,
    uow: UnitOfWork,
    principal: Principal,
    email: str,
    display_name: str,
    language: str,
    roles: list[str],
    unit: str | None,
    councils: list[str],
    password: str | None = None,
) -> Account:
    """An admin creates an official's account (officer, council, authority, auditor, admin).
    Without a password, the official is invited: an email with a one-time link to set their
    own (``passwords.issue_link``, valid for days)."""
    if not principal.has("admin"):
        raise Forbidden("account.admins_only")
    unknown = [r for r in roles if r not in ROLES]
    if unknown or not roles:
        raise Invalid(errors={"roles": ("account.unknown_roles", {"roles": ", ".join(unknown)})})
    unit = _check_unit(uow.session, unit, roles)
    actor = Actor(principal.account_id, principal.primary_role)
    account = _add(
        uow,
        email=email,
        password=password,
        display_name=display_name,
        language=language,
        roles=roles,
        unit=unit,
        councils=councils,
        actor=actor,
        # The administrator vouches for an official's address.
        confirmed=True,
    )
    if not password:
        uow.session.flush()  # the link refers to the account's row
        password_links.issue(uow, account, "invitation", actor)
    return account


def update_own(
    *, uow: UnitOfWork, principal: Principal, display_name: str | None, language: str | None
) -> Account:
    """Anyone changes their own name or language (roles and jurisdiction are an admin's)."""
    account = _load(uow.session, uuid.UUID(principal.account_id))
    return _apply(uow, account, principal, {"display_name": display_name, "language": language})


def update(
    *, uow: UnitOfWork, principal: Principal, account_id: uuid.UUID, changes: dict[str, Any]
) -> Account:
    """An admin changes an account: name, language, roles, jurisdiction, or deactivates it
    (an official who left). A deactivated account cannot sign in; a change of roles,
    jurisdiction or the active flag makes every service refuse the tokens issued before it
    (ADR 0002), so its holder signs in again to act with the new powers."""
    if not principal.has("admin"):
        raise Forbidden("account.admins_only")
    account = _load(uow.session, account_id)
    if str(account.id) == principal.account_id and changes.get("active") is False:
        raise Invalid(errors={"active": "account.cannot_deactivate_self"})
    roles = changes.get("roles")
    if roles is not None:
        if not roles:
            raise Invalid(errors={"roles": "account.no_role"})
        changes["roles"] = sorted(set(roles))
    new_roles = changes.get("roles") or account.roles
    if "unit" in changes or roles is not None:
        changes["unit"] = _check_unit(uow.session, changes.get("unit", account.unit), new_roles)
    return _apply(uow, account, principal, changes)


def _load(session: Session, account_id: uuid.UUID) -> Account:
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account.not_found")
    return account


# What a token carries (or, for the active flag, what it needs): changing one of these makes
# the account's earlier tokens speak for powers it no longer has.
POWERS = frozenset({"roles", "unit", "councils", "active"})


def _apply(
    uow: UnitOfWork, account: Account, principal: Principal, changes: dict[str, Any]
) -> Account:
    changed: set[str] = set()
    for field, value in changes.items():
        if value is None and field != "unit":
            continue  # not given
        if getattr(account, field) != value:
            setattr(account, field, value)
            changed.add(field)
    if changed & POWERS:
        account.powers_changed_at = datetime.now(UTC)
    if changed:  # an unchanged account tells nobody anything
        actor = Actor(principal.account_id, principal.primary_role)
        uow.add_event(account_event("account.updated", account, actor))
    return account


def limit(db: Database, action: str, per_minute: int, subject: str) -> None:
    """Count one ``action`` by ``subject``; 429 once over ``per_minute`` (shared by all workers)."""
    ratelimit.hit(db, rate_limits, ratelimit.RateLimit(action, per_minute), subject)


def claims_of(account: Account) -> dict[str, Any]:
    return {
        "sub": str(account.id),
        "roles": account.roles,
        "unit": account.unit,
        "councils": account.councils,
        "name": account.display_name,
        "lang": account.language,
    }


def login(
    *,
    db: Database,
    keyring: KeyRing,
    settings: Settings,
    email: str,
    password: str,
    client: str,
) -> dict[str, Any]:
    """Check a password and issue a short-lived token; attempts are limited per email and client."""
    email = email.strip().lower()
    ratelimit.hit(
        db,
        rate_limits,
        ratelimit.RateLimit("login", settings.login_attempts_per_minute),
        f"email:{email}",
    )
    ratelimit.hit(
        db,
        rate_limits,
        ratelimit.RateLimit("login", settings.login_attempts_per_client_per_minute),
        f"client:{client}",
    )
    with db.reader() as session:
        account = session.execute(
            select(Account).where(Account.email == email)
        ).scalar_one_or_none()
    try:
        verify_password(account.password_hash if account else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        account = None
    if account is None or not account.active:
        raise Unauthorized("auth.wrong_credentials")
    token = keyring.issue(settings, claims_of(account))
    return {
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": settings.token_ttl_seconds,
        "account": account,
    }


def get(*, session: Session, principal: Principal, account_id: uuid.UUID) -> Account:
    """An account: one's own, or any for an admin."""
    if str(account_id) != principal.account_id and not principal.has("admin"):
        raise NotFound("account.not_found")
    account = session.get(Account, account_id)
    if account is None:
        raise NotFound("account.not_found")
    return account


MAX_LIMIT = 200


def list_(
    *,
    session: Session,
    principal: Principal,
    q: str | None = None,
    role: str | None = None,
    active: bool | None = None,
    limit: int = 50,
    after: uuid.UUID | None = None,
) -> tuple[list[Account], uuid.UUID | None]:
    """A page of every account (admins), in Vietnamese alphabetical order of names, searched in
    names and emails regardless of case, tones and letter marks; and the next page's cursor."""
    if not principal.has("admin"):
        raise Forbidden("account.admins_only")
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(Account)
    if role:
        # roles is a JSON list of names from a fixed vocabulary; the quotes delimit one name.
        query = query.where(Account.roles.cast(Text).contains(f'"{role}"', autoescape=True))
    if active is not None:
        query = query.where(Account.active.is_(active))
    # Every word asked for begins a word of the name or email (in any order).
    for word in fold(q or "").split():
        query = query.where(Account.search_text.contains(f" {word}", autoescape=True))
    if after is not None:
        last = session.get(Account, after)
        if last is None:
            raise Invalid(errors={"after": "page.unknown_cursor"})
        query = query.where(
            or_(
                Account.name_key > last.name_key,
                and_(Account.name_key == last.name_key, Account.id > after),
            )
        )
    rows = list(
        session.execute(query.order_by(Account.name_key, Account.id).limit(limit + 1)).scalars()
    )
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
