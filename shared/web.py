"""What every service's Flask app shares: problem+json errors, request ids, authentication,
health, readiness and metrics. A service's ``create_app`` starts from ``create_base_app``."""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_smorest import Api, Blueprint
from kombu import Connection
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import Metric
from prometheus_client.registry import Collector
from sqlalchemy import text
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from shared import context, edge, field_errors, openapi, problems
from shared import errors as domain_errors
from shared.auth import AccountStateLookup, CurrentPowers, Principal, TokenVerifier, VerifiedToken
from shared.client_address import TrustedProxies, networks
from shared.config import Settings
from shared.db import Database

log = logging.getLogger(__name__)

REQUESTS = Counter(
    "ocop_http_requests_total", "HTTP requests", ["service", "endpoint", "method", "status"]
)
LATENCY = Histogram(
    "ocop_http_request_seconds", "HTTP request latency", ["service", "endpoint", "method"]
)

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,100}$")


# Declare an operation answerable without a token (see shared.edge).
public = edge.public


class ProblemApi(Api):
    """flask-smorest's Api answering every HTTP error as problem+json, and serving an OpenAPI
    document that says what the service does (shared.openapi)."""

    def _openapi_json(self) -> Response:
        document = openapi.finish(self.spec.to_dict(), current_app)
        return current_app.response_class(
            current_app.json.dumps(document, indent=2), mimetype="application/json"
        )

    def handle_http_exception(self, error: HTTPException) -> Response:
        status = error.code or 500
        data = getattr(error, "data", None) or {}
        # What the error itself says in headers (Allow on a 405, Retry-After, …), not its HTML.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        title, detail, errors = error.name, data.get("message") or error.description, None
        messages = data.get("messages")
        if isinstance(messages, dict):
            # webargs nests errors by location; a JSON body's fields are what clients care about.
            errors = messages.get("json", messages) if len(messages) == 1 else messages
        extra: dict[str, Any] = {"code": problems.EDGE_CODES.get(status, "request.failed")}
        if status == 422:
            title, detail = "Invalid request", "Some fields are invalid; see errors."
            if errors:
                # Each field's error as a code the catalogue words (field.required, ...).
                extra["field_codes"], field_params = field_errors.codes(errors)
                if field_params:
                    extra["field_params"] = field_params
        elif status == 400 and "Invalid JSON body." in str(messages):
            detail, errors = "The request body is not valid JSON.", None
        problem = problems.Problem(
            status,
            problems.KINDS.get(status, ("http-error", ""))[0],
            title,
            detail if isinstance(detail, str) else None,
            errors=errors,
            headers=headers,
            **extra,
        )
        return problem.response(instance=request.path, request_id=context.request_id.get())


# Status codes each kind of endpoint may answer besides success, for the OpenAPI document.
READ_ERRORS = (401, 404)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)

F = TypeVar("F", bound=Callable[..., Any])


def document_errors(blp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Declare the problem+json answers an endpoint may give."""

    def decorate(fn: F) -> F:
        for code in codes:
            fn = blp.alt_response(code, description="application/problem+json")(fn)
        return fn

    return decorate


def current_principal() -> Principal:
    """The authenticated caller, or a 401 problem."""
    principal = g.get("principal")
    if principal is None:
        raise problems.unauthorized()
    return principal


def current_token() -> VerifiedToken:
    """The bearer token of the request, verified, or a 401 problem."""
    token = g.get("token")
    if token is None:
        raise problems.unauthorized()
    return token


def forget_powers(account_id: str) -> None:
    """This process changed the account's powers or sessions: check its next request afresh
    rather than from the few seconds' cache (other processes catch up within that time)."""
    powers = current_app.extensions["ocop.verifier"].powers
    if powers is not None:
        powers.forget(account_id)


def create_base_app(
    settings: Settings,
    *,
    title: str,
    db: Database,
    verifier: TokenVerifier,
    account_state: AccountStateLookup | None = None,
    description: str = "",
    background: Callable[[], Iterable[Metric]] | None = None,
) -> tuple[Flask, ProblemApi]:
    """The app with what every service shares; with ``account_state`` (the service's own view
    of accounts), tokens that no longer speak for their account are refused (ADR 0002)."""
    if account_state is not None:
        if verifier.powers is not None:
            # One verifier per app: it would check another service's view of the accounts.
            raise ValueError("this verifier already checks an app's accounts")
        verifier.powers = CurrentPowers(account_state)
    app = Flask(settings.service)
    app.config.update(
        API_TITLE=title,
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        # Room for multipart framing around the largest accepted file; the exact file limit is
        # checked by the upload use case.
        MAX_CONTENT_LENGTH=settings.upload_max_bytes + 64 * 1024,
        API_SPEC_OPTIONS={
            "info": {"description": description},
            "components": {
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
                }
            },
            "security": [{"bearer": []}],
        },
        JSON_SORT_KEYS=False,
    )
    assert isinstance(app.json, DefaultJSONProvider), "Flask's own provider, not replaced"
    app.json.ensure_ascii = False
    # request.remote_addr is the client, not the proxy in front (shared.client_address). Wrapped
    # as Flask documents WSGI middleware; mypy takes the assignment for a method replaced.
    app.wsgi_app = TrustedProxies(app.wsgi_app, networks(settings.trusted_proxies))  # type: ignore[method-assign]
    app.extensions["ocop.settings"] = settings
    app.extensions["ocop.db"] = db
    app.extensions["ocop.verifier"] = verifier
    api = ProblemApi(app)
    _install_request_hooks(app, settings, verifier)
    _install_error_handlers(app, api)
    _install_probes(app, settings, db, background)
    return app, api


def _install_request_hooks(app: Flask, settings: Settings, verifier: TokenVerifier) -> None:
    """Request id in, authentication, metrics and request id out."""

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        context.request_id.set(rid)
        context.event_id.set(None)
        context.dossier_id.set(None)
        g.started = time.perf_counter()
        g.principal = g.token = None
        header = request.headers.get("Authorization", "")
        if header:
            scheme, _, token = header.partition(" ")
            if scheme.lower() != "bearer" or not token:
                raise problems.unauthorized("auth.bearer_scheme")
            g.token = verifier.verify_token(token.strip())
            g.principal = g.token.principal
        # Who may call the operation, before its body is read; then the body's bounds.
        edge.check_request(app)

    @app.after_request
    def _finish(response: Response) -> Response:
        rid = context.request_id.get()
        if rid:
            response.headers["X-Request-ID"] = rid
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        REQUESTS.labels(settings.service, endpoint, request.method, response.status_code).inc()
        started = g.get("started")
        if started is not None:
            LATENCY.labels(settings.service, endpoint, request.method).observe(
                time.perf_counter() - started
            )
        return response


def _install_error_handlers(app: Flask, api: ProblemApi) -> None:
    """Every failure answers problem+json; unexpected ones are logged with the request id."""

    @app.errorhandler(problems.Problem)
    def _problem(exc: problems.Problem) -> Response:
        return exc.response(instance=request.path, request_id=context.request_id.get())

    @app.errorhandler(domain_errors.DomainError)
    def _refused(exc: domain_errors.DomainError) -> Response:
        problem = problems.from_domain(exc)
        return problem.response(instance=request.path, request_id=context.request_id.get())

    @app.errorhandler(StaleDataError)
    def _stale(_exc: StaleDataError) -> Response:
        # Two writers passed the version check at once; the optimistic lock let only one through.
        return problems.edge(409, "request.stale").response(
            instance=request.path, request_id=context.request_id.get()
        )

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        if isinstance(exc, HTTPException):
            return api.handle_http_exception(exc)
        log.exception("unhandled error")
        return problems.edge(500, "request.internal_error").response(
            instance=request.path, request_id=context.request_id.get()
        )


def _install_probes(
    app: Flask,
    settings: Settings,
    db: Database,
    background: Callable[[], Iterable[Metric]] | None = None,
) -> None:
    """/healthz (alive), /readyz (database reachable; the broker's state beside it),
    /metrics (Prometheus)."""

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "service": settings.service}

    @app.get("/readyz")
    def readyz() -> tuple[dict[str, Any], int]:
        # Ready means the database answers: with the broker away, requests still succeed (the
        # outbox holds their events), so an orchestrator must not take every API out of
        # service during a broker restart. The broker's state is reported beside it.
        database = _check(_database_ok, db)
        ready = database == "ok"
        body = {
            "status": "ready" if ready else "unavailable",
            "checks": {"database": database},
            "broker": _check(_broker_ok, settings),
        }
        return body, 200 if ready else 503

    @app.get("/metrics")
    def metrics() -> Response:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            payload = generate_latest(registry)
        else:
            payload = generate_latest()
        if background is not None:
            # The service's state (outbox, dead letters, …), read now: the same in every replica.
            state = CollectorRegistry()
            state.register(_Collected(background))
            payload += generate_latest(state)
        return Response(payload, mimetype=CONTENT_TYPE_LATEST)


class _Collected(Collector):
    def __init__(self, read: Callable[[], Iterable[Metric]]) -> None:
        self.read = read

    def collect(self) -> Iterable[Metric]:
        return self.read()


def _check(fn: Callable[[Any], None], arg: Any) -> str:
    try:
        fn(arg)
        return "ok"
    except Exception as exc:
        log.warning("readiness check failed: %r", exc)
        return f"error: {type(exc).__name__}"


def _database_ok(db: Database) -> None:
    with db.reader() as session:
        session.execute(text("SELECT 1"))


def _broker_ok(settings: Settings) -> None:
    with Connection(settings.broker_url, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1, timeout=2)


def jwks_verifier(settings: Settings) -> TokenVerifier:
    """Verify tokens against the issuer's published key set (services other than the issuer)."""
    return TokenVerifier(
        issuer=settings.jwt_issuer, audience=settings.jwt_audience, jwks_url=settings.jwks_url
    )
