"""What every page module shares: API calls with the signed-in person's token, form values."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from flask import current_app, flash, request

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


def items(service: str, path: str, **params: Any) -> list[dict[str, Any]]:
    """The first page of a list endpoint."""
    reply = call(service, "GET", path, params=params)
    return reply["items"] if isinstance(reply, dict) else reply


# A page's independent API calls go out side by side; the threads only wait on sockets.
_POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="portal-api")


def items_of(lists: dict[str, tuple[str, str, dict[str, Any]]]) -> dict[str, list[dict[str, Any]]]:
    """Several list endpoints at once: ``{name: (service, path, params)}`` → ``{name: items}``."""
    client, token = api(), signin.token()

    def fetch(service: str, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        reply = client.call(service, "GET", path, token=token, params=params)
        return reply["items"] if isinstance(reply, dict) else reply

    futures = {name: _POOL.submit(fetch, *spec) for name, spec in lists.items()}
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
    errors = {name: i18n.api_message(text) for name, text in error.field_errors.items()}
    if error.status == 409:
        flash(i18n.translate("flash.conflict"), "error")
    elif errors:
        flash(i18n.translate("flash.fix_fields"), "error")
    else:
        flash(error.message, "error")
    return errors
