"""Choosing the official to seat on a council: a search of the evaluation API's officials
(``GET /officials?q=``, words matched regardless of tones, marks and case, in Vietnamese
alphabetical order), a page at a time, each match with its own seat button. A GET form and
links, so it works without JavaScript; the seat itself is a POST with its CSRF token.

When the API lists nobody to this person (it refuses them the list), the page falls back to
typing an account id."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import request

from services.portal.api_client import ApiError
from services.portal.i18n import translate
from services.portal.views.common import call

#: Matches shown a page: enough to scan, few enough for a phone.
PAGE = 20
MAX_QUERY = 200


@dataclass(frozen=True)
class Matches:
    """One page of the officials matching ``q``, those already seated left out."""

    q: str
    after: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)
    next: str | None = None
    #: The API refused this person the list: the seat is given by account id instead.
    refused: bool = False


def search(seated: set[str], source: Any = None) -> Matches:
    """The page of matches the request asks for (``q`` and ``after`` from ``source``, by
    default the query string; a rejected seat form sends them back as hidden fields)."""
    args = request.args if source is None else source
    q = (args.get("q") or "").strip()[:MAX_QUERY]
    after = (args.get("after") or "").strip() or None
    params: dict[str, Any] = {"limit": PAGE, **({"q": q} if q else {})}
    if after:
        params["after"] = after
    try:
        listed = call("evaluation", "GET", "/officials", params=params)
    except ApiError as exc:
        if exc.status == 401:
            raise  # the session is over: sign in again (app.py)
        if exc.status == 422 and after:  # a cursor no longer valid: start again
            return search(seated, {"q": q})
        return Matches(q, after, refused=True)
    rows = [
        {**official, "roles_text": ", ".join(translate(f"role.{r}") for r in official["roles"])}
        for official in listed.get("items", ())
        if official["account_id"] not in seated
    ]
    return Matches(q, after, rows, listed.get("next"))
