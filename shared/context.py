"""Per-request and per-message context (request id, event id, dossier id) for logs and events."""

from __future__ import annotations

from contextvars import ContextVar

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
event_id: ContextVar[str | None] = ContextVar("event_id", default=None)
dossier_id: ContextVar[str | None] = ContextVar("dossier_id", default=None)
