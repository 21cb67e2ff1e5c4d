"""What every page module shares: API calls with the signed-in person's token, form values."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import Response, current_app, flash, request

from services.portal import i18n, signin
from services.portal.api_client import ApiClient, ApiError
from shared import calendar


def api() -> ApiClient:
    return current_app.extensions["portal_api"]


def call(service: str, method: str, path: str, **kw: Any) -> Any:
    """Call an API as the signed-in person."""
    return api().call(service, method, path, token=signin.token(), **kw)


def maybe(service: str, path: str, **kw: Any) -> Any | None:
    """GET something the person may not reach (yet): None on 404 or 403."""
    try:
        return call(service, "GET", path, **kw)
    except ApiError as exc:
        if exc.status in (403, 404):
            return None
        raise


# A list's params with EVERY (``{**EVERY, "level": …}``) ask for all its pages, not the first:
# the lists a page offers to choose from or shows whole (councils, rounds, documents, seats,
# sheets, units, product sets), a few hundred at most.
EVERY = {"_every": True}
MAX_PAGES = 20  # of the API's largest page (200)


def _fetch(
    client: ApiClient, token: str | None, service: str, path: str, params: dict[str, Any]
) -> list[dict[str, Any]]:
    params = dict(params)
    every = params.pop("_every", False)
    if every:
        params.setdefault("limit", 200)
    reply = client.call(service, "GET", path, token=token, params=params)
    if not isinstance(reply, dict):
        return reply
    found = list(reply["items"])
    for _ in range(MAX_PAGES - 1):
        if not every or not reply.get("next"):
            break
        reply = client.call(
            service, "GET", path, token=token, params={**params, "after": reply["next"]}
        )
        found += reply["items"]
    return found


def items(service: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """The first page of a list endpoint (every page with ``**EVERY``)."""
    return _fetch(api(), signin.token(), service, path, params)


def every(service: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """Every page of a list the page shows whole (a dossier's documents, a council's seats)."""
    return items(service, path, **EVERY, **params)


def maybe_every(service: str, path: str, **params: Any) -> list[dict[str, Any]] | None:
    """``every`` of a list the person may not reach (yet): None on 404 or 403."""
    try:
        return every(service, path, **params)
    except ApiError as exc:
        if exc.status in (403, 404):
            return None
        raise


# A page's independent API calls go out side by side; the threads only wait on sockets.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="portal-api")


def items_of(lists: dict[str, tuple[str, str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Several list endpoints at once: ``{name: (service, path, params)}`` → ``{name: items}``."""
    client, token = api(), signin.token()
    futures = {name: _POOL.submit(_fetch, client, token, *spec) for name, spec in lists.items()}
    return {name: future.result() for name, future in futures.items()}


def today() -> str:
    """Today in Vietnam, where decisions are dated."""
    return calendar.today().isoformat()


def form() -> dict[str, str]:
    """The submitted form, to put back into the page when it is rejected."""
    return request.form.to_dict()


def done(key: str, **values: Any) -> None:
    flash(i18n.translate(key, **values), "success")


def refused(error: ApiError) -> dict[str, str]:
    """Field errors of a refused call for the page; the general message as a flash."""
    if error.status == 401:
        raise error
    errors = i18n.field_refusals(error)
    if errors and error.status == 422:
        flash(i18n.translate("flash.fix_fields"), "error")
    else:
        # Why, in the reader's language: "Only the officer handling this dossier...".
        flash(i18n.refusal(error), "error")
    return errors


def pdf_response(content: bytes, filename: str) -> Response:
    """A PDF the browser shows (and saves under ``filename``)."""
    resp = Response(content, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return resp
