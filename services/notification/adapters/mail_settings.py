"""The notification service's own settings (SMTP, sender, portal link, retries), read from the
environment like ``shared.config`` but kept here: no other service needs them."""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@dataclass(frozen=True, slots=True)
class MailSettings:
    smtp_host: str
    smtp_port: int
    smtp_username: str | None
    smtp_password: str | None
    smtp_starttls: bool
    smtp_timeout: float
    mail_from: str
    mail_from_name: str
    portal_url: str
    # Attempts before a transiently failing message is given up (then an operator alert).
    max_attempts: int
    retry_base_seconds: float
    retry_cap_seconds: float
    # How long a sender owns the rows it claimed; a sender that died frees them after this.
    lease_seconds: float
    batch_size: int

    @property
    def message_id_domain(self) -> str:
        return self.mail_from.rpartition("@")[2] or "ocop.local"


def load() -> MailSettings:
    """Read the mail settings from ``OCOP_SMTP_*``, ``OCOP_MAIL_*`` and ``OCOP_PORTAL_URL``."""
    return MailSettings(
        smtp_host=_env("OCOP_SMTP_HOST", "127.0.0.1"),
        smtp_port=int(_env("OCOP_SMTP_PORT", "8025")),
        smtp_username=os.environ.get("OCOP_SMTP_USERNAME") or None,
        smtp_password=os.environ.get("OCOP_SMTP_PASSWORD") or None,
        smtp_starttls=_env("OCOP_SMTP_STARTTLS", "0") in ("1", "true", "yes"),
        smtp_timeout=float(_env("OCOP_SMTP_TIMEOUT", "30")),
        mail_from=_env("OCOP_MAIL_FROM", "no-reply@ocop.local"),
        mail_from_name=_env("OCOP_MAIL_FROM_NAME", "OCOP"),
        portal_url=_env("OCOP_PORTAL_URL", "http://127.0.0.1:8000").rstrip("/"),
        max_attempts=int(_env("OCOP_MAIL_MAX_ATTEMPTS", "6")),
        retry_base_seconds=float(_env("OCOP_MAIL_RETRY_BASE_SECONDS", "30")),
        retry_cap_seconds=float(_env("OCOP_MAIL_RETRY_CAP_SECONDS", "3600")),
        lease_seconds=float(_env("OCOP_MAIL_LEASE_SECONDS", "300")),
        batch_size=int(_env("OCOP_MAIL_BATCH_SIZE", "50")),
    )
