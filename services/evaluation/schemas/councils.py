"""Request and response schemas of the councils and rounds endpoints.

Request schemas reject unknown fields (marshmallow's default), so a body cannot smuggle an id,
a ``created_at`` or a seat history past the use case. Council rules left out take the domain's
defaults (quorum 3/4 with the chair, spread 10 points), applied by the use case.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.evaluation.service.councils import SEAT_ROLES
from shared.levels import Level
from shared.names import printable_name
from shared.paging import BOUNDED_DEFAULT, BOUNDED_MAX

UNIT_HELP = "tree:level:code of the unit served (e.g. pre2025:district:461), or national"


class CouncilCreateIn(Schema):
    name = fields.Str(required=True, validate=printable_name(max_length=300))
    level = Level(required=True)
    unit = fields.Str(
        required=True, validate=validate.Length(max=40), metadata={"description": UNIT_HELP}
    )
    quorum_numerator = fields.Int(
        validate=validate.Range(min=1, max=100), metadata={"description": "default 3"}
    )
    quorum_denominator = fields.Int(
        validate=validate.Range(min=1, max=100), metadata={"description": "default 4"}
    )
    chair_required = fields.Bool(
        metadata={"description": "the chair must be among those scoring (default true)"}
    )
    max_spread = fields.Float(
        validate=validate.Range(min=0, max=100),
        metadata={"description": "largest allowed gap between members' totals (default 10)"},
    )


class SeatOut(Schema):
    id = fields.Int(metadata={"description": "the seat's: the cursor of its council's seats"})
    account_id = fields.UUID()
    role = fields.Str(validate=validate.OneOf(SEAT_ROLES))
    display_name = fields.Str(allow_none=True)
    added_at = fields.DateTime()
    removed_at = fields.DateTime(allow_none=True)


class CouncilOut(Schema):
    id = fields.UUID()
    name = fields.Str()
    level = Level()
    unit = fields.Str()
    quorum_numerator = fields.Int()
    quorum_denominator = fields.Int()
    chair_required = fields.Bool()
    max_spread = fields.Float()
    created_at = fields.DateTime()
    members = fields.List(fields.Nested(SeatOut), metadata={"description": "current seats"})


_CURSOR = {"description": "cursor: the `next` of the previous page"}
_NEXT = {"description": "cursor of the next page (null on the last)"}


class _LevelUnitPageArgs(Schema):
    """A page of councils or rounds, of one level and unit if given."""

    level = Level()
    unit = fields.Str(validate=validate.Length(max=40))
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata=_CURSOR)


class CouncilListArgs(_LevelUnitPageArgs):
    pass


class CouncilList(Schema):
    items = fields.List(fields.Nested(CouncilOut))
    next = fields.UUID(allow_none=True, metadata=_NEXT)


class SeatIn(Schema):
    account_id = fields.UUID(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(SEAT_ROLES))


class SeatListArgs(Schema):
    include_removed = fields.Bool(
        load_default=False, metadata={"description": "also list seats that were vacated"}
    )
    limit = fields.Int(
        load_default=BOUNDED_DEFAULT, validate=validate.Range(min=1, max=BOUNDED_MAX)
    )
    after = fields.Int(metadata=_CURSOR)


class SeatList(Schema):
    items = fields.List(fields.Nested(SeatOut))
    next = fields.Int(allow_none=True, metadata=_NEXT)


class RoundCreateIn(Schema):
    level = Level(required=True)
    unit = fields.Str(
        required=True, validate=validate.Length(max=40), metadata={"description": UNIT_HELP}
    )
    name = fields.Str(required=True, validate=printable_name(max_length=200))
    proposals_due = fields.Date(required=True)
    closes_on = fields.Date(required=True)


class RoundDefaultsIn(Schema):
    level = Level(required=True)
    unit = fields.Str(
        required=True, validate=validate.Length(max=40), metadata={"description": UNIT_HELP}
    )
    year = fields.Int(required=True, validate=validate.Range(min=2000, max=2100))


class RoundOut(Schema):
    id = fields.UUID()
    level = Level()
    unit = fields.Str()
    name = fields.Str()
    proposals_due = fields.Date()
    closes_on = fields.Date()


class RoundListArgs(_LevelUnitPageArgs):
    pass


class RoundList(Schema):
    items = fields.List(fields.Nested(RoundOut))
    next = fields.UUID(allow_none=True, metadata=_NEXT)


class RoundDefaultsOut(Schema):
    items = fields.List(fields.Nested(RoundOut), metadata={"description": "the year's rounds"})
    created = fields.Int(metadata={"description": "how many of the year's rounds were new"})
