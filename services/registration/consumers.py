"""Handlers of events from other services (the case file ledger and public status come later)."""

from __future__ import annotations

from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {}
