"""The map of the 2025 merger (shared.unit_map): an operator loads it (``ocop units map FILE``);
this service keeps it and tells the other services, one ``units.map_loaded`` per pre-2025
province, in the same unit of work."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.models import AdminUnit, Producer, unit_map_tables
from services.registration.service.units import REGIME_TREE
from shared import unit_map
from shared.db import UnitOfWork
from shared.errors import Conflict
from shared.events import Actor, new_event
from shared.units import CURRENT_TREE, LEGACY_TREE
from shared.units.merger import Succession

#: Who loads the map: an operator at the console, no account.
OPERATOR = Actor(None, "operator")


def applies(regime: str) -> bool:
    """Only a deployment filing in the 2025 tree answers by the map: in a four-level one the
    pre-2025 communes are the current ones (the command refuses to load a map there)."""
    return REGIME_TREE[regime] == CURRENT_TREE


def filing_unit(
    session: Session, producer: Producer, regime: str
) -> tuple[str, str, str | None, str]:
    """Where a new dossier of ``producer`` is filed (tree, province, district, commune): in its
    commune; for a producer of the pre-2025 map (one an imported certificate brought in) in a
    deployment filing in the 2025 tree, in the 2025 commune its commune merged into. A dossier
    is filed today, on today's map, where today's commune officers take it in; the producer
    keeps the commune it was recorded in. Refused while the map does not name its commune."""
    own = (producer.unit_tree, producer.province_code, producer.district_code)
    if not applies(regime) or producer.unit_tree == CURRENT_TREE:
        return (*own, producer.commune_code)
    successors = unit_map_tables[0]
    successor = session.execute(
        select(successors.c.new_province_code, successors.c.new_code).where(
            successors.c.old_code == producer.commune_code
        )
    ).first()
    if successor is None:
        name = session.execute(
            select(AdminUnit.name).where(
                AdminUnit.tree == producer.unit_tree,
                AdminUnit.level == "commune",
                AdminUnit.code == producer.commune_code,
            )
        ).scalar_one_or_none()
        raise Conflict("dossier.commune_not_on_map", commune=name or producer.commune_code)
    return CURRENT_TREE, successor.new_province_code, None, successor.new_code


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
