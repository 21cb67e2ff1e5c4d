"""RFC 9457 problem details: every error is ``application/problem+json`` with a stable type."""

from __future__ import annotations

from typing import Any

from flask import Response, json

from shared import errors as domain

PROBLEM_BASE = "urn:ocop:problem:"


class Problem(Exception):
    """An error a use case or an entrypoint reports to the client."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        *,
        errors: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_BASE + self.slug,
            "title": self.title,
            "status": self.status,
        }
        if self.detail:
            body["detail"] = self.detail
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = self.errors
        body.update(self.extra)
        return body

    def response(self, *, instance: str | None = None, request_id: str | None = None) -> Response:
        body = self.body(instance)
        if request_id:
            body["request_id"] = request_id
        resp = Response(json.dumps(body), status=self.status, mimetype="application/problem+json")
        for key, value in self.headers.items():
            resp.headers[key] = value
        return resp


# What the edge answers (no use case involved), by status: the problem type and title.
KINDS: dict[int, tuple[str, str]] = {
    400: ("malformed-request", "Bad Request"),
    401: ("unauthorized", "Unauthorized"),
    403: ("forbidden", "Forbidden"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method Not Allowed"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "Payload Too Large"),
    415: ("unsupported-media-type", "Unsupported Media Type"),
    422: ("validation-error", "Invalid request"),
    429: ("too-many-requests", "Too many requests"),
    500: ("internal-error", "Internal error"),
}

# The code of an edge problem by status, for HTTP errors raised by the framework itself.
EDGE_CODES: dict[int, str] = {
    400: "request.malformed",
    401: "request.unauthorized",
    403: "request.forbidden",
    404: "request.not_found",
    405: "request.method_not_allowed",
    409: "request.conflict",
    413: "request.too_large",
    414: "request.too_large",
    415: "request.unsupported_media_type",
    422: "request.invalid",
    429: "request.rate_limited",
    431: "request.too_large",
    500: "request.internal_error",
}


def edge(
    status: int,
    code: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    errors: dict[str, Any] | None = None,
    **params: Any,
) -> Problem:
    """A problem of the edge (authentication, limits, a malformed request): a ``code`` whose
    words are in the catalogue, and an English ``detail`` (the catalogue's unless a more
    precise one is given, for developers reading the raw answer)."""
    slug, title = KINDS.get(status, ("http-error", "HTTP error"))
    return Problem(
        status,
        slug,
        title,
        detail or domain.message(code, params, "en"),
        errors=errors,
        headers=headers,
        code=code,
        params=params,
    )


def unauthorized(code: str = "request.unauthorized") -> Problem:
    return edge(401, code, headers={"WWW-Authenticate": "Bearer"})


_RELOAD = ("current_version", "current_revision")


def _english(fields: Any) -> dict[str, Any]:
    """A domain error's fields in English, nested as given (as marshmallow nests its own)."""
    shown: dict[str, Any] = {}
    for name, error in fields.items():
        if isinstance(error, str):
            shown[name] = [domain.message(error, {}, "en")]
        elif isinstance(error, tuple):
            shown[name] = [domain.message(error[0], error[1], "en")]
        else:
            shown[name] = _english(error)
    return shown


def from_domain(error: domain.DomainError) -> Problem:
    """A domain error as problem+json: its ``code`` and ``params`` for programs (the portal
    words them from its catalogue), an English ``detail`` for people reading the raw answer."""
    extra: dict[str, Any] = {"code": error.code, "params": error.params}
    # A stale copy's current version stays a member of its own, where clients read it to reload.
    extra.update({k: v for k, v in error.params.items() if k in _RELOAD})
    fields = _english(error.fields)
    if error.errors:
        extra["field_codes"] = error.errors
        if error.field_params:
            extra["field_params"] = error.field_params
    headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
    return Problem(
        error.status,
        error.slug,
        error.title,
        error.message("en"),
        errors=fields or None,
        headers=headers,
        **extra,
    )
