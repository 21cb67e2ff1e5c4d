"""Who may see which dossier: the one place that turns a caller into a filter.

Applicants see their producers' dossiers, consultants those of producers that granted them
access, officials those in their jurisdiction's subtree (the whole country for national ones).
Outside that reach a dossier does not exist for the caller (404).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, or_, select, true

from services.registration.models import ConsultantGrant, Dossier, Producer
from shared.auth import OFFICIAL_ROLES, Principal
from shared.jurisdiction import UnitColumns, within


def me(principal: Principal) -> uuid.UUID:
    """The caller's account id as stored here (tokens carry it as a string)."""
    return uuid.UUID(principal.account_id)


DOSSIER_UNIT = UnitColumns(
    Dossier.unit_tree, Dossier.province_code, Dossier.district_code, Dossier.commune_code
)
PRODUCER_UNIT = UnitColumns(
    Producer.unit_tree, Producer.province_code, Producer.district_code, Producer.commune_code
)


def dossier_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Dossier`` true exactly for the dossiers ``principal`` may read."""
    conditions: list[ColumnElement[bool]] = []
    if principal.has("applicant"):
        own = select(Producer.id).where(Producer.owner_account_id == me(principal))
        conditions.append(Dossier.producer_id.in_(own))
    if principal.has("consultant"):
        granted = select(ConsultantGrant.producer_id).where(
            ConsultantGrant.consultant_account_id == me(principal)
        )
        conditions.append(Dossier.producer_id.in_(granted))
    if principal.has(*OFFICIAL_ROLES):
        if principal.has("admin") and principal.unit is None:
            conditions.append(true())
        else:
            conditions.append(within(principal.unit, DOSSIER_UNIT))
    return or_(*conditions) if conditions else false()


def producer_reach(principal: Principal) -> ColumnElement[bool]:
    """A SQL condition on ``Producer`` for the producers ``principal`` may read."""
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
            conditions.append(within(principal.unit, PRODUCER_UNIT))
    return or_(*conditions)


def acts_for_producer(principal: Principal, producer: Producer) -> bool:
    """Whether the caller may file and edit dossiers for ``producer`` (owner or consultant)."""
    if principal.has("applicant") and str(producer.owner_account_id) == principal.account_id:
        return True
    return principal.has("consultant") and any(
        str(g.consultant_account_id) == principal.account_id for g in producer.grants
    )
