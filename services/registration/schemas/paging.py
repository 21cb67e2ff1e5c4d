"""The cursor every list of the registration API pages with."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.paging import BOUNDED_DEFAULT, BOUNDED_MAX

_AFTER = {"description": "cursor: the `next` of the previous page"}
NEXT = {"description": "cursor of the next page (null on the last)"}


class PageArgs(Schema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata=_AFTER)


class KeyPageArgs(Schema):
    """A short list's page, keyed by a code: one page holds the whole list by default."""

    limit = fields.Int(
        load_default=BOUNDED_DEFAULT, validate=validate.Range(min=1, max=BOUNDED_MAX)
    )
    after = fields.Str(validate=validate.Length(min=1, max=64), metadata=_AFTER)
