"""The cursor every list of the registration API pages with."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PageArgs(Schema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})
