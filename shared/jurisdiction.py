"""Jurisdiction: whether an official's administrative unit contains a case, as a SQL condition
over a table's unit columns or as a check on one object. Every service filters the same way."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, true

from shared.auth import UnitRef


@dataclass(frozen=True, slots=True)
class UnitColumns:
    """The columns that place a row in the administrative tree."""

    tree: Any
    province: Any
    district: Any
    commune: Any

    def column(self, level: str) -> Any:
        return {"province": self.province, "district": self.district, "commune": self.commune}[
            level
        ]


def within(unit: UnitRef | None, columns: UnitColumns) -> ColumnElement[bool]:
    """Rows whose unit lies in ``unit``'s subtree (all rows for ``national``, none for none)."""
    if unit is None:
        return false()
    if unit.level == "national":
        return true()
    return (columns.tree == unit.tree) & (columns.column(unit.level) == unit.code)


def contains(unit: UnitRef | None, obj: Any) -> bool:
    """Whether ``unit`` contains an object with ``unit_tree`` and ``*_code`` attributes."""
    if unit is None:
        return False
    if unit.level == "national":
        return True
    return obj.unit_tree == unit.tree and getattr(obj, f"{unit.level}_code") == unit.code
