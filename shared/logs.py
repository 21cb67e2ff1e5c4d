"""JSON logs carrying the request, event and dossier ids of the work in progress."""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime

from shared import context


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "msg": record.getMessage(),
            "request_id": context.request_id.get(),
            "event_id": context.event_id.get(),
            "dossier_id": context.dossier_id.get(),
        }
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps({k: v for k, v in entry.items() if v is not None}, ensure_ascii=False)


class _JsonLines(logging.StreamHandler):
    """The handler ``configure`` adds, known by its class so it is added once."""


def configure(service: str) -> None:
    """Send this process's logs as JSON lines to stderr (level from ``OCOP_LOG_LEVEL``)."""
    root = logging.getLogger()
    if any(isinstance(h, _JsonLines) for h in root.handlers):
        return
    handler = _JsonLines(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root.addHandler(handler)
    root.setLevel(os.environ.get("OCOP_LOG_LEVEL", "INFO").upper())
