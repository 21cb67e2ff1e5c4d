"""``create_app``: the portal's Flask application (pages, session, language, CSRF)."""

from __future__ import annotations

import os
import secrets
import time
from typing import Any

from flask import Flask, Response, g, has_request_context, render_template, request
from werkzeug.exceptions import HTTPException

from services.portal import csrf, i18n, signin
from services.portal.api_client import ApiClient, ApiError
from services.portal.unit_label import unit_label
from services.portal.views import VIEWS
from shared import config
from shared.catalogue import dates
from shared.client_address import TrustedProxies, networks
from shared.config import PortalSettings
from shared.web import LATENCY, REQUESTS


def _secret_key(settings: PortalSettings) -> str:
    """The configured key, else one generated once and kept in the data directory, so that
    every worker process (and a restart) accepts the same session cookies."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "portal" / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Workers start side by side: each writes its own file, the first hard link wins, so
        # no one ever reads a half-written key.
        draft = path.with_name(f".secret_key.{os.getpid()}")
        fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text().strip()


def local_day(value: str | None) -> str:
    """The day of an API timestamp (UTC) or date, as it was in Vietnam, written as the page's
    language writes it (06/12/2026, 6 Dec 2026)."""
    return dates.day(value, _language())


def local_time(value: str | None) -> str:
    """An API timestamp (UTC) as it read in Vietnam: its day and ``HH:mm``."""
    return dates.moment(value, _language())


def _language() -> str:
    # Outside a request (a PDF built in a task, a unit test) the pages' default language.
    return i18n.current_language() if has_request_context() else i18n.DEFAULT


def create_app(settings: PortalSettings | None = None, api: ApiClient | None = None) -> Flask:
    settings = settings or config.load_portal()
    app = Flask(__name__, static_folder="static", template_folder="templates")
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_NAME="ocop_portal",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.secure_cookie,
        MAX_CONTENT_LENGTH=25 * 1024 * 1024,
    )
    # request.remote_addr is the browser, not the ingress in front (shared.client_address).
    # Wrapped as Flask documents WSGI middleware; mypy takes it for a method replaced.
    app.wsgi_app = TrustedProxies(app.wsgi_app, networks(settings.trusted_proxies))  # type: ignore[method-assign]
    app.extensions["portal_api"] = api or ApiClient(settings)
    app.extensions["portal_settings"] = settings

    _template_words(app)
    _request_hooks(app)
    _probes(app)
    for blueprint in VIEWS:
        app.register_blueprint(blueprint)
    return app


def _template_words(app: Flask) -> None:
    """What the templates call: the catalogue's words, the person signed in, local dates."""
    app.jinja_env.globals.update(
        t=i18n.translate,
        label=i18n.label,
        public_status=i18n.public_status,
        set_name=i18n.set_name,
        field_label=i18n.field_label,
        csrf_token=csrf.token,
        current_account=signin.account,
        has_role=signin.has,
        current_language=i18n.current_language,
        languages=i18n.LANGUAGES,
        language_url=i18n.language_url,
    )
    app.jinja_env.filters["one_decimal"] = lambda v: "—" if v is None else f"{float(v):.1f}"
    app.jinja_env.filters["day"] = local_day
    app.jinja_env.filters["moment"] = local_time
    app.jinja_env.filters["unit"] = unit_label


def _request_hooks(app: Flask) -> None:
    """Language and CSRF before each request; security headers, timing and errors after."""

    @app.before_request
    def _before() -> None:
        g.started = time.perf_counter()
        i18n.pick_language()
        csrf.protect()

    @app.after_request
    def _after(resp: Response) -> Response:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'",
        )
        if "started" in g:
            took = time.perf_counter() - g.started
            resp.headers["Server-Timing"] = f"app;dur={took * 1000:.1f}"
            # The same figures as the services' (shared.web), served by gunicorn's master on
            # OCOP_METRICS_PORT (shared.gunicorn_conf), not on the public paths.
            endpoint = request.url_rule.rule if request.url_rule else "unmatched"
            REQUESTS.labels("portal", endpoint, request.method, resp.status_code).inc()
            LATENCY.labels("portal", endpoint, request.method).observe(took)
        if signin.token() is not None:
            resp.headers.setdefault("Cache-Control", "private, no-store")
        return resp

    @app.errorhandler(ApiError)
    def _api_error(error: ApiError) -> Any:
        if error.status == 401:
            return signin.expired()
        status = error.status if error.status in (403, 404, 409, 422, 503) else 502
        return render_template("error.html", status=status, detail=i18n.refusal(error)), status

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Any:
        status = error.code or 500
        return render_template("error.html", status=status, detail=None), status


def _probes(app: Flask) -> None:
    """Liveness and readiness for the orchestrator."""

    @app.get("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz() -> Any:
        # Ready when the API that signs people in answers; the others are checked per page.
        try:
            app.extensions["portal_api"].call("registration", "GET", "/product-sets")
        except ApiError as exc:
            # The page is public: the cause goes to the log, not to whoever asks.
            app.logger.warning("not ready: registration API: %s", exc.message)
            return {"status": "unavailable"}, 503
        return {"status": "ok"}
