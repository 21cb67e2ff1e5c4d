"""A person's own notification preferences."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from services.notification.domain.recipients import DEFAULT_LANGUAGE
from services.notification.models import Contact, Preference
from services.notification.service import digests
from services.notification.service.access import me
from shared.auth import Principal
from shared.db import UnitOfWork


def get(*, session: Session, principal: Principal) -> dict[str, object]:
    """The caller's preferences (their account's language until they choose one)."""
    account_id = me(principal)
    preference = session.get(Preference, account_id)
    contact = session.get(Contact, account_id)
    language = (preference and preference.language) or (contact and contact.language)
    return {
        "language": language or DEFAULT_LANGUAGE,
        "digest": bool(preference and preference.digest),
    }


def update(
    *, uow: UnitOfWork, principal: Principal, language: str | None, digest: bool | None
) -> dict[str, object]:
    """Change the caller's language and/or digest opt-in; opting out of the digest sends what
    it held at once."""
    account_id = me(principal)
    preference = uow.session.get(Preference, account_id) or Preference(
        account_id=account_id, digest=False
    )
    if language is not None:
        preference.language = language
    now = datetime.now(UTC)
    if digest is not None:
        preference.digest = digest
        if not digest:
            digests.release(uow=uow, account_id=account_id, now=now)
    preference.updated_at = now
    uow.session.add(preference)
    uow.session.flush()
    return get(session=uow.session, principal=principal)
