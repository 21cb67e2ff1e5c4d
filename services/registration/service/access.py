"""Who may see which dossier: the one place that turns a caller into a filter.

The people on a case (ADR 0009): applicants see their producers' dossiers, consultants those of
producers that granted them access; officials the cases they are on (shared.participants: the
commune's queue, the handling officer, the secretariats, councils and authorities of the levels
the case reached); auditors what lies in their jurisdiction, read-only; an admin without a unit
everything; the officials of a 2025 unit also read the pre-2025 dossiers of the communes merged
into it (shared.unit_map). Nobody but the producer's side sees a draft. Outside that reach a
dossier does not exist for the caller (404).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, or_, select, true

from services.registration.domain.lifecycle import Status
from services.registration.models import (
    ConsultantGrant,
    Dossier,
    Producer,
    participant_tables,
    unit_successors,
)
from shared import participants
from shared.auth import OFFICIAL_ROLES, Principal, UnitRef
from shared.jurisdiction import UnitColumns, carried_over, within


def me(principal: Principal) -> uuid.UUID:
    """The caller's account id as stored here (tokens carry it as a string)."""
    return uuid.UUID(principal.account_id)


# With the merger's map: a 2025 unit holds the pre-2025 dossiers of the communes merged into it.
DOSSIER_UNIT = UnitColumns(
    Dossier.unit_tree,
    Dossier.province_code,
    Dossier.district_code,
    Dossier.commune_code,
    unit_successors,
)


def _producer_side(principal: Principal) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if principal.has("applicant"):
        own = select(Producer.id).where(Producer.owner_account_id == me(principal))
        conditions.append(Dossier.producer_id.in_(own))
    if principal.has("consultant"):
        granted = select(ConsultantGrant.producer_id).where(
            ConsultantGrant.consultant_account_id == me(principal)
        )
        conditions.append(Dossier.producer_id.in_(granted))
    return conditions


def dossier_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Dossier`` true exactly for the dossiers ``principal`` may read."""
    conditions = _producer_side(principal)
    if principal.has(*OFFICIAL_ROLES):
        filed = Dossier.status != Status.DRAFT.value
        if principal.has("admin") and principal.unit is None:
            conditions.append(filed)
        else:
            conditions.append(
                participants.reach(
                    participant_tables,
                    principal,
                    Dossier.id,
                    seats=participant_tables.seated(principal),
                )
            )
            if principal.has("auditor"):
                conditions.append(filed & within(principal.unit, DOSSIER_UNIT))
            # Nobody holds the offices of the old map: a 2025 unit's officials read the
            # pre-2025 dossiers of the communes merged into it (shared.unit_map).
            conditions.append(filed & carried_over(principal.unit, DOSSIER_UNIT))
    return or_(*conditions) if conditions else false()


def producer_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Producer``: one's own, a granting client's, or the producer of a
    dossier within reach."""
    conditions: list[ColumnElement[bool]] = [Producer.owner_account_id == me(principal)]
    if principal.has("consultant"):
        conditions.append(
            Producer.id.in_(
                select(ConsultantGrant.producer_id).where(
                    ConsultantGrant.consultant_account_id == me(principal)
                )
            )
        )
    if principal.has(*OFFICIAL_ROLES):
        if principal.unit is None and principal.has("admin"):
            conditions.append(true())
        else:
            conditions.append(
                Producer.id.in_(select(Dossier.producer_id).where(dossier_reach(principal)))
            )
    return or_(*conditions)


def acts_for_producer(principal: Principal, producer: Producer) -> bool:
    """Whether the caller may file and edit dossiers for ``producer`` (owner or consultant)."""
    if principal.has("applicant") and str(producer.owner_account_id) == principal.account_id:
        return True
    return principal.has("consultant") and any(
        str(g.consultant_account_id) == principal.account_id for g in producer.grants
    )


def commune_of(dossier: Dossier) -> UnitRef:
    return UnitRef(dossier.unit_tree, "commune", dossier.commune_code)


def handles_intake(principal: Principal, dossier: Dossier) -> bool:
    """Whether the caller may take the commune's intake steps on ``dossier``: its handler, or,
    while nobody handles it, an officer of its commune (who takes it by acting)."""
    if not principal.has("commune_officer"):
        return False
    if dossier.handler_account_id is not None:
        return dossier.handler_account_id == me(principal)
    return principal.unit == commune_of(dossier)
