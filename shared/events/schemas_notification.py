"""Payload schemas of the events the notification service publishes: who was told what, when."""

from __future__ import annotations

from marshmallow import Schema, fields

from shared.events import types
from shared.events.registry import register


class _Delivery(Schema):
    """One email about one event to one person (the case file records it)."""

    delivery_id = types.UUID(required=True)
    dossier_id = types.UUID(allow_none=True, required=True)
    event_id = types.UUID(required=True, metadata={"description": "the event the email is about"})
    event_type = fields.Str(required=True)
    account_id = types.UUID(required=True, metadata={"description": "the recipient"})
    email = fields.Email(required=True)
    template = fields.Str(required=True, metadata={"description": "language/event type"})
    message_id = fields.Str(required=True)
    attempts = fields.Int(required=True)
    digest_id = types.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "the daily digest that carried it, when it went in one"},
    )


class NotificationSent(_Delivery):
    sent_at = types.AwareDateTime(required=True, format="iso")


class NotificationFailed(_Delivery):
    error = fields.Str(required=True)
    permanent = fields.Bool(
        required=True, metadata={"description": "a 5xx answer, as opposed to retries spent"}
    )


_P = "notification"
register(
    "notification.sent",
    NotificationSent,
    producer=_P,
    description="An email about an event was accepted by the SMTP server for one recipient.",
)
register(
    "notification.failed",
    NotificationFailed,
    producer=_P,
    description="An email about an event finally failed for one recipient (refused, or retries "
    "spent); operators see it among the failed deliveries and may replay it.",
)
