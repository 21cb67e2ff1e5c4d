"""Local SMTP sink for the embedded run mode: a real SMTP server that keeps what it receives.

``SmtpSink`` receives, ``MailStore`` keeps ``.eml`` files, ``web.create_app`` shows them,
``FaultPlan`` scripts failures for tests, ``cli`` has what the command line calls.
"""

from __future__ import annotations

from .faults import (
    MAILBOX_UNAVAILABLE,
    SERVICE_NOT_AVAILABLE,
    TRY_AGAIN_LATER,
    Fault,
    FaultPlan,
)
from .server import ACCEPTED, SmtpSink, serve_forever
from .store import MailStore, StoredMessage, UnknownMessage

__all__ = [
    "ACCEPTED",
    "MAILBOX_UNAVAILABLE",
    "SERVICE_NOT_AVAILABLE",
    "TRY_AGAIN_LATER",
    "Fault",
    "FaultPlan",
    "MailStore",
    "SmtpSink",
    "StoredMessage",
    "UnknownMessage",
    "serve_forever",
]
