"""A person's notification preferences (marshmallow; OpenAPI comes from them)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.notification.domain.recipients import LANGUAGES


class PreferencesIn(Schema):
    language = fields.Str(validate=validate.OneOf(LANGUAGES))
    digest = fields.Bool(
        metadata={
            "description": "routine messages in one email a day (decisions and deadlines "
            "always go at once); opting out sends what the digest held at once"
        }
    )


class PreferencesOut(Schema):
    language = fields.Str()
    digest = fields.Bool()
