"""Handlers of the events the evaluation service listens to (dossier.accepted opens a commune
review with issue #3)."""

from __future__ import annotations

from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {}
