"""One administrative unit by its reference (``tree:level:code``), for naming it on a document.

Both trees are read from their sources (the shipped CSV, the installed package) once per
process, on first use, and kept as an index; a tree that is not known answers nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from .sources import CURRENT_TREE, LEGACY_TREE, UnitRow, iter_current_units, iter_legacy_units

#: The type a unit's name starts with ("Tỉnh Quảng Trị", "Thành phố Đông Hà", "Xã Cam Hiếu"),
#: longest first so "Thị xã" is not read as "Thị".
KINDS: dict[str, str] = {
    "Thành phố": "city",
    "Thị trấn": "township",
    "Đặc khu": "special_zone",
    "Thị xã": "town",
    "Phường": "ward",
    "Huyện": "rural_district",
    "Quận": "urban_district",
    "Tỉnh": "province",
    "Xã": "commune",
}


@cache
def _index(tree: str) -> dict[tuple[str, str], UnitRow]:
    rows: Iterable[UnitRow]
    if tree == LEGACY_TREE:
        rows = iter_legacy_units()
    elif tree == CURRENT_TREE:
        rows = iter_current_units()
    else:
        rows = ()
    return {(row.level, row.code): row for row in rows}


def unit(tree: str, level: str, code: str | None) -> UnitRow | None:
    """The unit of ``tree`` at ``level`` with ``code``, or None."""
    if not code:
        return None
    return _index(tree).get((level, code))


def by_ref(ref: str | None) -> UnitRow | None:
    """The unit a ``tree:level:code`` reference names (None for ``national`` or unknown)."""
    parts = (ref or "").split(":")
    return unit(*parts) if len(parts) == 3 else None


def kind_and_short_name(name: str) -> tuple[str | None, str]:
    """A unit's name split into its kind and the name proper: ``("province", "Quảng Trị")``;
    ``(None, name)`` when it starts with no known kind."""
    for prefix, kind in KINDS.items():
        if name.startswith(f"{prefix} "):
            return kind, name[len(prefix) + 1 :]
    return None, name
