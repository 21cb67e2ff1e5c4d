"""Settings from environment variables, with embedded defaults (twelve-factor).

With nothing set, every service runs on SQLite files and kombu's SQLAlchemy transport under one
data directory (``./var`` or ``OCOP_DATA_DIR``); production sets the URLs to PostgreSQL,
RabbitMQ and a real SMTP relay. Same code in both modes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("registration", "evaluation", "notification")
EMAIL_CONFIRMATION = ("required", "optional", "off")

DEFAULT_PORTS = {"portal": 8000, "registration": 8001, "evaluation": 8002, "notification": 8003}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _choice(name: str, choices: tuple[str, ...], default: str) -> str:
    """A setting with a few named values: a typo stops the process at start, not later."""
    value = _env(name, default)
    if value not in choices:
        raise ValueError(f"{name}={value!r}: expected one of {', '.join(choices)}")
    return value


def data_dir() -> Path:
    return Path(_env("OCOP_DATA_DIR", "var")).resolve()


def broker_url() -> str:
    """The broker: RabbitMQ in production, a SQLite file through kombu's SQLAlchemy transport."""
    return _env("OCOP_BROKER_URL", f"sqla+sqlite:///{data_dir() / 'broker.sqlite'}")


def is_embedded_broker(url: str) -> bool:
    return url.startswith(("sqla+", "sqlalchemy+"))


# Proxies trusted by default: this machine (``ocop up`` runs the portal beside the APIs).
LOCAL_PROXIES = "127.0.0.1/32,::1/128"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a service process needs to know about its environment."""

    service: str
    data_dir: Path
    database_url: str
    broker_url: str
    public_url: str
    jwks_url: str
    jwt_issuer: str
    jwt_audience: str
    token_ttl_seconds: int
    upload_max_bytes: int
    login_attempts_per_minute: int
    login_attempts_per_client_per_minute: int
    uploads_per_minute: int
    relay_batch_size: int
    relay_poll_seconds: float
    consumer_max_retries: int
    consumer_batch_size: int
    consumer_batch_seconds: float
    broker_visibility_seconds: float
    regime: str
    #: Whether self-registered accounts must confirm their email before submitting a dossier:
    #: "required", "optional" (the link is sent, nothing waits for it) or "off" (none sent).
    email_confirmation: str = "required"
    #: Proxies whose X-Forwarded-For is believed (shared.client_address); this machine only.
    trusted_proxies: str = LOCAL_PROXIES
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def service_dir(self) -> Path:
        return self.data_dir / self.service


def load(service: str) -> Settings:
    """Read the settings of ``service`` from the environment."""
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; expected one of {', '.join(SERVICES)}")
    base = data_dir()
    upper = service.upper()
    port = DEFAULT_PORTS[service]
    registration_url = _env(
        "OCOP_REGISTRATION_URL", f"http://127.0.0.1:{DEFAULT_PORTS['registration']}"
    )
    return Settings(
        service=service,
        data_dir=base,
        database_url=_env(
            f"OCOP_{upper}_DATABASE_URL", f"sqlite:///{base / service / f'{service}.sqlite'}"
        ),
        broker_url=broker_url(),
        public_url=_env(f"OCOP_{upper}_URL", f"http://127.0.0.1:{port}"),
        jwks_url=_env("OCOP_JWKS_URL", f"{registration_url}/.well-known/jwks.json"),
        jwt_issuer=_env("OCOP_JWT_ISSUER", "ocop-registration"),
        jwt_audience=_env("OCOP_JWT_AUDIENCE", "ocop"),
        token_ttl_seconds=_int("OCOP_TOKEN_TTL_SECONDS", 900),
        upload_max_bytes=_int("OCOP_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
        # Per account; per client address the limit is higher, as a whole office may share one.
        login_attempts_per_minute=_int("OCOP_LOGIN_ATTEMPTS_PER_MINUTE", 10),
        login_attempts_per_client_per_minute=_int("OCOP_LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE", 60),
        uploads_per_minute=_int("OCOP_UPLOADS_PER_MINUTE", 60),
        relay_batch_size=_int("OCOP_RELAY_BATCH_SIZE", 200),
        relay_poll_seconds=float(_env("OCOP_RELAY_POLL_SECONDS", "2.0")),
        consumer_max_retries=_int("OCOP_CONSUMER_MAX_RETRIES", 5),
        # Events are applied in batches, one transaction each: up to this many, or what arrived
        # within this many seconds of the first (ADR 0008).
        consumer_batch_size=_int("OCOP_CONSUMER_BATCH_SIZE", 100),
        consumer_batch_seconds=float(_env("OCOP_CONSUMER_BATCH_SECONDS", "0.02")),
        # Embedded broker only: a message claimed this long ago without an ack is delivered
        # again (its worker died); longer than any task runs.
        broker_visibility_seconds=float(_env("OCOP_BROKER_VISIBILITY_SECONDS", "300")),
        # The programme regime new dossiers are filed under (docs/domain.md): "four-level" (commune,
        # district, province, national) or "two-tier" (commune review, province, national).
        regime=_env("OCOP_REGIME", "four-level"),
        email_confirmation=_choice("OCOP_EMAIL_CONFIRMATION", EMAIL_CONFIRMATION, "required"),
        trusted_proxies=_env("OCOP_TRUSTED_PROXIES", LOCAL_PROXIES),
    )


@dataclass(frozen=True, slots=True)
class PortalSettings:
    """The web portal: where the three APIs are, and how its session cookie is kept."""

    data_dir: Path
    public_url: str
    registration_url: str
    evaluation_url: str
    notification_url: str
    #: Signs the session cookie; from the environment, else a random key kept in the data dir.
    secret_key: str | None
    #: ``Secure`` flag on the session cookie (browsers keep it on http://127.0.0.1 too).
    secure_cookie: bool
    api_timeout_seconds: float
    #: Proxies in front of the portal whose X-Forwarded-For is believed (the ingress).
    trusted_proxies: str = LOCAL_PROXIES


def load_portal() -> PortalSettings:
    """Read the portal's settings from the environment."""

    def url(service: str) -> str:
        return _env(f"OCOP_{service.upper()}_URL", f"http://127.0.0.1:{DEFAULT_PORTS[service]}")

    return PortalSettings(
        data_dir=data_dir(),
        public_url=url("portal"),
        registration_url=url("registration"),
        evaluation_url=url("evaluation"),
        notification_url=url("notification"),
        secret_key=os.environ.get("OCOP_PORTAL_SECRET_KEY", "").strip() or None,
        secure_cookie=_env("OCOP_PORTAL_SECURE_COOKIE", "1") not in ("0", "false", "no"),
        api_timeout_seconds=float(_env("OCOP_PORTAL_API_TIMEOUT_SECONDS", "15")),
        trusted_proxies=_env("OCOP_TRUSTED_PROXIES", LOCAL_PROXIES),
    )
