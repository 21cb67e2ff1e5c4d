"""Choosing an administrative unit without typing its code: province, then district, then
commune, each list read from the registration API (``GET /units``, the pre-2025 tree with
districts that the four-level regime uses). Works without JavaScript: the form is sent back
with ``action=units`` to load the next list; ``unit_picker.js`` does that on change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.portal.views.common import call

TREE = "pre2025"


def _units(parent: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    params = {"tree": TREE, **({"parent": parent["ref"]} if parent else {})}
    return call("registration", "GET", "/units", params=params)


def _chosen(units: list[dict[str, Any]], code: str | None) -> dict[str, Any] | None:
    return next((unit for unit in units if code and unit["code"] == code), None)


def choices(values: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The lists to offer given what is chosen so far (a chosen commune keeps its parents);
    a unit is asked for its children only if it is one of those offered."""
    lists: dict[str, list[dict[str, Any]]] = {
        "provinces": _units(),
        "districts": [],
        "communes": [],
    }
    province = _chosen(lists["provinces"], values.get("unit.province"))
    if province:
        lists["districts"] = _units(province)
        district = _chosen(lists["districts"], values.get("unit.district"))
        if district:
            lists["communes"] = _units(district)
    return lists
