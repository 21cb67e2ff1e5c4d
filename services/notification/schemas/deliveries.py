"""The deliveries the notification API lists (marshmallow; OpenAPI comes from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notification.domain.delivery import Status


class DeliveryOut(Schema):
    id = fields.UUID()
    event_id = fields.UUID(metadata={"description": "the event the email was about"})
    event_type = fields.Str()
    dossier_id = fields.UUID(allow_none=True)
    account_id = fields.UUID(metadata={"description": "the recipient"})
    email = fields.Str()
    audience = fields.Str(metadata={"description": "why they were told (applicant, council, …)"})
    language = fields.Str()
    template = fields.Str()
    subject = fields.Str()
    message_id = fields.Str()
    status = fields.Str(validate=validate.OneOf([s.value for s in Status]))
    attempts = fields.Int()
    last_error = fields.Str(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()
    sent_at = fields.AwareDateTime(allow_none=True)
    digest_id = fields.UUID(
        allow_none=True, metadata={"description": "the daily digest that carries it, if any"}
    )


class DeliveryList(Schema):
    items = fields.List(fields.Nested(DeliveryOut))
    next = fields.UUID(
        allow_none=True, metadata={"description": "cursor of the next page (null on the last)"}
    )


class PageArgs(Schema):
    after = fields.UUID(
        load_default=None, metadata={"description": "cursor: the `next` of the previous page"}
    )
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))


class DossierDeliveriesArgs(PageArgs):
    dossier_id = fields.UUID(required=True)
