"""The map of the 2025 merger (shared.unit_map): an operator loads it (``ocop units map FILE``);
this service keeps it and tells the other services, one ``units.map_loaded`` per pre-2025
province, in the same unit of work."""

from __future__ import annotations

from sqlalchemy import select

from services.registration.models import AdminUnit, unit_map_tables
from services.registration.service.units import REGIME_TREE
from shared import unit_map
from shared.db import UnitOfWork
from shared.events import Actor, new_event
from shared.units import CURRENT_TREE, LEGACY_TREE
from shared.units.merger import Succession

#: Who loads the map: an operator at the console, no account.
OPERATOR = Actor(None, "operator")


def applies(regime: str) -> bool:
    """Only a deployment filing in the 2025 tree answers by the map: in a four-level one the
    pre-2025 communes are the current ones (the command refuses to load a map there)."""
    return REGIME_TREE[regime] == CURRENT_TREE


def load_map(*, uow: UnitOfWork, pairs: list[Succession]) -> int:
    """Replace the whole map with ``pairs`` (checked already, shared.units.merger) and tell the
    other services; returns how many pre-2025 provinces were told."""
    provinces = uow.session.execute(
        select(AdminUnit.code).where(AdminUnit.tree == LEGACY_TREE, AdminUnit.level == "province")
    ).scalars()
    payloads = unit_map.payloads(pairs, provinces)
    for payload in payloads:
        event = new_event(unit_map.EVENT_TYPE, payload, producer="registration", actor=OPERATOR)
        unit_map.record(uow.session, unit_map_tables, payload, event.occurred_at)
        uow.add_event(event)
    return len(payloads)
