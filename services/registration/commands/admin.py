"""What an operator does from the command line before anyone can sign in: create the first
administrator (``ocop admin create``). The account goes through the same schema and use case
as ``POST /accounts``, acting as the system, so its rules (password length, a unique email,
the ``account.created`` event and its case-file entry) are the API's own.
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError

from services.registration.runtime import Registration
from services.registration.schemas.accounts import AccountCreateIn
from services.registration.service import accounts as account_service
from shared import errors
from shared.auth import Principal

SYSTEM = Principal(account_id="system", roles=frozenset({"admin"}))
# An administrator with no unit acts for the whole deployment (the operator's account).
NO_UNIT = None


class OperatorError(ValueError):
    """The account could not be created; the message says why, field by field."""


def create_admin(
    rt: Registration, *, email: str, display_name: str, password: str, language: str = "vi"
) -> str:
    """Create an administrator account; returns its id."""
    try:
        data: dict[str, Any] = AccountCreateIn().load(
            {
                "email": email,
                "password": password,
                "display_name": display_name,
                "language": language,
                "roles": ["admin"],
                "unit": NO_UNIT,
            }
        )
    except ValidationError as exc:
        raise OperatorError(_fields(exc.messages)) from exc
    try:
        with rt.db.unit_of_work() as uow:
            account = account_service.create(uow=uow, principal=SYSTEM, **data)
            uow.commit()
            return str(account.id)
    except errors.DomainError as exc:  # an email already taken, a rule of the use case
        raise OperatorError(exc.message("en")) from exc


def _fields(messages: Any) -> str:
    if isinstance(messages, dict):
        return "; ".join(f"{name}: {' '.join(map(str, text))}" for name, text in messages.items())
    return str(messages)
