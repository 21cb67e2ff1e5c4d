"""Producers, their representative and their consultants."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.names import printable_name

ENTITY_TYPES = [
    "cooperative",
    "cooperative_group",
    "enterprise",
    "farm",
    "household_business",
    "association",
]
GENDERS = ["male", "female", "other"]


class RepresentativeSchema(Schema):
    name = fields.Str(required=True, validate=printable_name(max_length=200))
    position = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    gender = fields.Str(required=True, validate=validate.OneOf(GENDERS))
    ethnicity = fields.Str(required=True, validate=validate.Length(min=1, max=60))


class RepresentativeOut(Schema):
    """A producer's representative as stored: a producer imported from a register of
    certificates has none yet (``{}``) until its owner fills it in."""

    name = fields.Str()
    position = fields.Str()
    gender = fields.Str(validate=validate.OneOf(GENDERS))
    ethnicity = fields.Str()


class ProducerIn(Schema):
    name = fields.Str(required=True, validate=printable_name(max_length=300))
    entity_type = fields.Str(required=True, validate=validate.OneOf(ENTITY_TYPES))
    representative = fields.Nested(RepresentativeSchema, required=True)
    unit = fields.Str(
        required=True, metadata={"description": "commune, e.g. pre2025:commune:19225"}
    )
    address = fields.Str(required=True, validate=validate.Length(min=1, max=500))
    phone = fields.Str(required=True, validate=validate.Regexp(r"^\+?[0-9 .-]{6,20}$"))
    email = fields.Email(required=True)
    business_registration_no = fields.Str(load_default=None, validate=validate.Length(max=60))


class ProducerOut(Schema):
    id = fields.UUID()
    owner_account_id = fields.UUID()
    name = fields.Str()
    entity_type = fields.Str()
    representative = fields.Nested(RepresentativeOut)
    unit_tree = fields.Str()
    province_code = fields.Str()
    district_code = fields.Str(allow_none=True)
    commune_code = fields.Str()
    address = fields.Str()
    phone = fields.Str()
    email = fields.Str()
    business_registration_no = fields.Str(allow_none=True)
    consultant_account_ids = fields.Method("_consultants")

    def _consultants(self, producer: object) -> list[str]:
        return [str(g.consultant_account_id) for g in getattr(producer, "grants", [])]


class ConsultantGrantIn(Schema):
    email = fields.Email(required=True)
    granted = fields.Bool(load_default=True)


class ProducerPage(Schema):
    items = fields.List(fields.Nested(ProducerOut))
    next = fields.UUID(allow_none=True)
