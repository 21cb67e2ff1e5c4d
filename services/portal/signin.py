"""The signed-in person as the portal sees them: their token and account, kept in the session."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

from flask import abort, flash, redirect, request, session, url_for

from services.portal.i18n import translate

P = ParamSpec("P")

#: Official roles whose home shows the case queues of the evaluation service.
COUNCIL_ROLES = ("council_member", "council_chair", "council_secretary")


def start(token: str, account: dict[str, Any]) -> None:
    """Begin a session for ``account``, keeping nothing but the language: the one chosen
    before signing in, else the account's own."""
    lang = session.get("lang") or account.get("language")
    session.clear()
    session.update(token=token, account=account)
    if lang:
        session["lang"] = lang


def refresh(account: dict[str, Any]) -> None:
    """The signed-in account as the API now answers it (its email confirmed since, say)."""
    if (session.get("account") or {}).get("id") == account.get("id"):
        session["account"] = account


def unconfirmed() -> bool:
    """A self-registered person whose email address is not confirmed yet."""
    person = account()
    if person is None or not has("applicant", "consultant"):
        return False
    return not person.get("email_confirmed_at")


def end() -> None:
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def account() -> dict[str, Any] | None:
    return session.get("account")


def token() -> str | None:
    return session.get("token")


def roles() -> set[str]:
    person = account()
    return set(person.get("roles", ())) if person else set()


def has(*wanted: str) -> bool:
    return bool(roles() & set(wanted))


def required(*wanted: str) -> Callable[[Callable[P, Any]], Callable[P, Any]]:
    """A view for signed-in people (with one of ``wanted`` roles, when given)."""

    def wrap(view: Callable[P, Any]) -> Callable[P, Any]:
        @wraps(view)
        def guarded(*args: P.args, **kwargs: P.kwargs) -> Any:
            if token() is None:
                return redirect(url_for("auth.signin", next=request.full_path))
            if wanted and not has(*wanted):
                abort(403)
            return view(*args, **kwargs)

        return guarded

    return wrap


def expired() -> Any:
    """The API said the token is no longer valid: sign in again, then come back."""
    end()
    flash(translate("flash.session_expired"), "error")
    return redirect(url_for("auth.signin", next=request.full_path))
