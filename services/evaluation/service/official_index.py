"""What an official's row keeps to be found and ordered: its name's Vietnamese sort key and
the folded text a search looks in (name, email, the unit's name and reference), written with
the rest of the row wherever an official is written (``cases.on_account``, migration 0011)."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

from services.evaluation.models import Official
from shared.names import fold, sort_key
from shared.units import CURRENT_TREE, LEGACY_TREE, iter_current_units, iter_legacy_units


@functools.cache
def _unit_names(tree: str) -> dict[str, str]:
    """``tree:level:code`` → the unit's name, for one tree (empty for a tree not shipped)."""
    rows: Iterable[Any]
    if tree == LEGACY_TREE:
        rows = iter_legacy_units()
    elif tree == CURRENT_TREE:
        rows = iter_current_units()
    else:
        return {}
    return {f"{r.tree}:{r.level}:{r.code}": r.name for r in rows}


def search_text(display_name: str, email: str, unit: str | None) -> str:
    """The folded name, email, unit name and unit reference a search looks in."""
    unit_name = _unit_names(unit.split(":", 1)[0]).get(unit, "") if unit else ""
    return " ".join(fold(part) for part in (display_name, email, unit_name, unit or "") if part)


def describe(official: Official) -> None:
    """Keep the official's sort key and searched text in step with its name, email and unit."""
    official.name_key = sort_key(official.display_name)
    official.search_text = search_text(official.display_name, official.email, official.unit)
