"""Who may see which dossier: the one place that turns a caller into a filter.

Applicants see their producers' dossiers, consultants those of producers that granted them
access, officials those in their jurisdiction's subtree (the whole country for national ones).
Outside that reach a dossier does not exist for the caller (404).
"""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnElement, false, select, true

from services.registration.models import ConsultantGrant, Dossier, Producer
from shared.auth import OFFICIAL_ROLES, Principal


def me(principal: Principal) -> uuid.UUID:
    """The caller's account id as stored here (tokens carry it as a string)."""
    return uuid.UUID(principal.account_id)


def _unit_filter(principal: Principal) -> ColumnElement[bool]:
    unit = principal.unit
    if unit is None:
        return false()
    if unit.level == "national":
        return true()
    column = {
        "province": Dossier.province_code,
        "district": Dossier.district_code,
        "commune": Dossier.commune_code,
    }[unit.level]
    return (Dossier.unit_tree == unit.tree) & (column == unit.code)


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
            conditions.append(_unit_filter(principal))
    if not conditions:
        return false()
    result = conditions[0]
    for cond in conditions[1:]:
        result = result | cond
    return result


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
        unit = principal.unit
        if unit is None:
            conditions.append(true() if principal.has("admin") else false())
        elif unit.level == "national":
            conditions.append(true())
        else:
            column = {
                "province": Producer.province_code,
                "district": Producer.district_code,
                "commune": Producer.commune_code,
            }[unit.level]
            conditions.append((Producer.unit_tree == unit.tree) & (column == unit.code))
    result = conditions[0]
    for cond in conditions[1:]:
        result = result | cond
    return result


def acts_for_producer(principal: Principal, producer: Producer) -> bool:
    """Whether the caller may file and edit dossiers for ``producer`` (owner or consultant)."""
    if principal.has("applicant") and str(producer.owner_account_id) == principal.account_id:
        return True
    return principal.has("consultant") and any(
        str(g.consultant_account_id) == principal.account_id for g in producer.grants
    )
