"""Choosing an administrative unit without typing its code, in the tree of the deployment's
regime: province, then district, then commune on the pre-2025 tree (four-level regime), province
then commune on the 2025 tree (two-tier). Each list is read from the registration API, which
knows the regime: ``GET /units`` without a tree lists the provinces of the regime's tree, and a
province's children say whether a district level comes between it and its communes. Works
without JavaScript: the form is sent back with ``action=units`` to load the next list;
``unit_picker.js`` does that on change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import g

from services.portal.views.common import every

#: The level above the province: its councils score the highest rank (one name, ADR 0011).
TOP = "national"


def _units(parent: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    params = {"parent": parent["ref"]} if parent else {}
    return every("registration", "/units", **params)


def provinces() -> list[dict[str, Any]]:
    """The provinces of the regime's tree (read once a request)."""
    if "ocop_provinces" not in g:
        g.ocop_provinces = _units()
    return g.ocop_provinces


def has_districts() -> bool:
    """Whether the regime's tree has districts between its provinces and communes."""
    if "ocop_districts" not in g:
        first = provinces()[:1]
        g.ocop_districts = bool(first) and any(
            unit["level"] == "district" for unit in _units(first[0])
        )
    return g.ocop_districts


def scoring_levels() -> tuple[str, ...]:
    """The levels whose councils score in the deployment's regime: one per level of its tree
    above the commune, from the lowest, then the national level."""
    return (*(("district",) if has_districts() else ()), "province", TOP)


def _chosen(units: list[dict[str, Any]], code: str | None) -> dict[str, Any] | None:
    return next((unit for unit in units if code and unit["code"] == code), None)


def choices(values: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    """The lists to offer given what is chosen so far (a chosen commune keeps its parents);
    a unit is asked for its children only if it is one of those offered. A province's
    children are its districts on a tree that has them, else its communes."""
    lists: dict[str, list[dict[str, Any]]] = {
        "provinces": provinces(),
        "districts": [],
        "communes": [],
    }
    province = _chosen(lists["provinces"], values.get("unit.province"))
    if not province:
        return lists
    below = _units(province)
    if any(unit["level"] == "district" for unit in below):
        lists["districts"] = below
        district = _chosen(below, values.get("unit.district"))
        if district:
            lists["communes"] = _units(district)
    else:
        lists["communes"] = below
    return lists
