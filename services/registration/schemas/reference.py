"""Reference data: administrative units and OCOP product sets."""

from __future__ import annotations

from typing import Protocol

from marshmallow import Schema, fields, validate

from services.registration.schemas.paging import NEXT, KeyPageArgs


class _Unit(Protocol):
    """What ``UnitOut`` reads of a unit for its reference."""

    tree: str
    level: str
    code: str


class UnitOut(Schema):
    tree = fields.Str()
    level = fields.Str()
    code = fields.Str()
    name = fields.Str()
    parent_code = fields.Str(allow_none=True)
    ref = fields.Method("_ref")

    def _ref(self, unit: _Unit) -> str:
        return f"{unit.tree}:{unit.level}:{unit.code}"


class UnitPage(Schema):
    items = fields.List(fields.Nested(UnitOut))
    next = fields.Str(allow_none=True, metadata=NEXT)


class UnitArgs(KeyPageArgs):
    tree = fields.Str(
        validate=validate.Length(min=1, max=16),
        metadata={
            "description": "the tree (2025, or pre2025 with districts); default: the parent's, "
            "else the tree of the deployment's regime (OCOP_REGIME)"
        },
    )
    parent = fields.Str(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "the parent unit as tree:level:code (e.g. pre2025:province:45), like "
            "every unit reference; its children are listed"
        },
    )
    level = fields.Str(
        validate=validate.OneOf(["province", "district", "commune"]),
        metadata={
            "description": "the units of this level (default province), or only the parent's "
            "children of this level; a level the tree lacks is an empty list"
        },
    )


class ProductSetOut(Schema):
    set_code = fields.Str()
    name = fields.Str()
    name_en = fields.Str()
    requires_5_samples = fields.Bool()


class ProductSetPage(Schema):
    items = fields.List(fields.Nested(ProductSetOut))
    next = fields.Str(allow_none=True, metadata=NEXT)
