"""Jurisdiction: whether an official's administrative unit contains a case, as a SQL condition
over a table's unit columns or as a check on one object. Every service filters the same way.

A record keeps the unit it was filed in. A 2025 province or commune also holds the pre-2025
records of the communes merged into it, once the map of the merger is loaded (shared.unit_map):
a service that keeps the map names its table in :class:`UnitColumns`. The pre-2025 tree's
units (four-level deployments) hold what they always held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Table, false, or_, true

from shared import unit_map
from shared.auth import UnitRef


@dataclass(frozen=True, slots=True)
class UnitColumns:
    """The columns that place a row in the administrative tree, and the service's copy of the
    merger's map (None: the service keeps none, rows answer by their filed unit only)."""

    tree: Any
    province: Any
    district: Any
    commune: Any
    successors: Table | None = None

    def column(self, level: str) -> Any:
        return {"province": self.province, "district": self.district, "commune": self.commune}[
            level
        ]


def within(unit: UnitRef | None, columns: UnitColumns) -> ColumnElement[bool]:
    """Rows whose unit lies in ``unit``'s subtree (all rows for ``national``, none for none),
    the pre-2025 rows merged into a 2025 unit included."""
    if unit is None:
        return false()
    if unit.level == "national":
        return true()
    filed = (columns.tree == unit.tree) & (columns.column(unit.level) == unit.code)
    if columns.successors is None:
        return filed
    merged = unit_map.merged_into(unit, columns.successors, columns.tree, columns.commune)
    return filed if merged is None else or_(filed, merged)


def carried_over(unit: UnitRef | None, columns: UnitColumns) -> ColumnElement[bool]:
    """Only the pre-2025 rows merged into ``unit`` (a 2025 province or commune): the records
    of the old map its officials read (nobody holds the old offices any more)."""
    if unit is None or columns.successors is None:
        return false()
    merged = unit_map.merged_into(unit, columns.successors, columns.tree, columns.commune)
    return false() if merged is None else merged


def contains(unit: UnitRef | None, obj: Any) -> bool:
    """Whether ``unit`` contains an object with ``unit_tree`` and ``*_code`` attributes, by the
    unit it was filed in (acting on a case stays with its filed unit's offices)."""
    if unit is None:
        return False
    if unit.level == "national":
        return True
    return obj.unit_tree == unit.tree and getattr(obj, f"{unit.level}_code") == unit.code
