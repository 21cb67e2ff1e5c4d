"""What an official's row keeps to be found and ordered: its name's Vietnamese sort key and
the folded text a search looks in (name, email, the names of its unit and of the units above
it, the unit's reference), written with the rest of the row wherever an official is written
(``cases.on_account``, migration 0011)."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from typing import Any

from services.evaluation.models import Official
from shared.names import fold, sort_key
from shared.units import CURRENT_TREE, LEGACY_TREE, iter_current_units, iter_legacy_units


@functools.cache
def _units(tree: str) -> dict[str, tuple[str, str | None]]:
    """``tree:level:code`` → (the unit's name, its parent's reference), for one tree (empty
    for a tree not shipped)."""
    rows: Iterable[Any]
    if tree == LEGACY_TREE:
        rows = iter_legacy_units()
    elif tree == CURRENT_TREE:
        rows = iter_current_units()
    else:
        return {}
    return {
        f"{r.tree}:{r.level}:{r.code}": (
            r.name,
            None if r.parent_code is None else f"{r.tree}:{r.parent_level}:{r.parent_code}",
        )
        for r in rows
    }


def _unit_names(unit: str | None) -> list[str]:
    """The names of the unit and of the units above it ("Phường 1", "Thành phố Đông Hà",
    "Tỉnh Quảng Trị"): a search by district finds its communes' officials too."""
    names: list[str] = []
    units = _units(unit.split(":", 1)[0]) if unit else {}
    while unit in units and len(names) < 3:
        name, unit = units[unit]
        names.append(name)
    return names


def search_text(display_name: str, email: str, unit: str | None) -> str:
    """The folded words of the name, email (whole and in its parts), the unit's name and those
    above it, and its reference, each after a space: a search asks for words beginning one of
    them (``" an"`` finds "An" and "Ánh", not "Thanh")."""
    email_parts = " ".join(re.split(r"[@._+-]+", email))
    parts = (display_name, email, email_parts, *_unit_names(unit), unit or "")
    return "".join(f" {word}" for part in parts for word in fold(part).split())


def describe(official: Official) -> None:
    """Keep the official's sort key and searched text in step with its name, email and unit."""
    official.name_key = sort_key(official.display_name)
    official.search_text = search_text(official.display_name, official.email, official.unit)
