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


# The problems every service uses; a use case raises these rather than building its own.
def not_found(what: str = "resource") -> Problem:
    # Also the answer for an object outside the caller's reach: its existence is not disclosed.
    return Problem(404, "not-found", "Not found", f"No such {what}.")


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Forbidden", detail)


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    return Problem(
        401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": "Bearer"}
    )


def conflict(detail: str, **extra: Any) -> Problem:
    return Problem(409, "conflict", "Conflict", detail, **extra)


def invalid(errors: dict[str, Any], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(422, "validation-error", "Invalid request", detail, errors=errors)


def transition_refused(detail: str) -> Problem:
    return Problem(409, "transition-not-allowed", "Transition not allowed", detail)


def from_domain(error: domain.DomainError) -> Problem:
    """A domain error as problem+json: its ``code`` and ``params`` for programs (the portal
    words them from its catalogue), an English ``detail`` for people reading the raw answer."""
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {"code": error.code, "params": error.params}
    if isinstance(error, domain.Invalid) and error.errors:
        fields = {name: [domain.message(code, {}, "en")] for name, code in error.errors.items()}
        extra["field_codes"] = error.errors
    return Problem(
        error.status, error.slug, error.title, error.message("en"), errors=fields or None, **extra
    )
