"""Who may read which deliveries (the one place for it).

The people on a case (ADR 0009): a dossier's delivery log is read by its applicant's side (the
owner and the consultants its events listed), the officials on the case (shared.participants:
the commune officer handling it or its queue, the secretariats, councils and authorities of the
levels it reached, less a member with a conflict on it), auditors whose jurisdiction holds it,
the officials of the 2025 units a pre-2025 case merged into (shared.unit_map), and admins
without a unit. Outside reach the log answers 404, like a dossier this service never heard of.
Everyone reads the deliveries addressed to them.
"""

from __future__ import annotations

import uuid

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.notification.models import Delivery, participant_tables, unit_successors
from shared import participants
from shared.auth import OFFICIAL_ROLES, Principal
from shared.jurisdiction import UnitColumns, carried_over, within

DELIVERY_UNIT = UnitColumns(
    Delivery.unit_tree,
    Delivery.province_code,
    Delivery.district_code,
    Delivery.commune_code,
    unit_successors,
)


def me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.account_id)


def can_read_case_log(session: Session, principal: Principal, delivery: Delivery) -> bool:
    """Whether ``principal`` may read the deliveries of ``delivery``'s case."""
    account = me(principal)
    if account == delivery.owner_account_id:
        return True
    if str(account) in (delivery.consultant_account_ids or []):
        return True
    if not principal.has(*OFFICIAL_ROLES) or delivery.dossier_id is None:
        return False
    if principal.unit is None and principal.has("admin"):
        return True
    if _by_unit(session, principal, delivery):
        return True
    seats = participant_tables.seated(principal)
    return participants.standing(
        session, participant_tables, principal, delivery.dossier_id, seats=seats
    ).on_case()


def _by_unit(session: Session, principal: Principal, delivery: Delivery) -> bool:
    """Whether ``principal``'s unit answers for ``delivery``'s case: an auditor's jurisdiction
    holds it (read-only), or it is a pre-2025 case of a commune merged into a 2025 unit's, whose
    officials read it as they read the case (nobody holds the offices of the old map)."""
    conditions = [carried_over(principal.unit, DELIVERY_UNIT)]
    if principal.has("auditor"):
        conditions.append(within(principal.unit, DELIVERY_UNIT))
    found = select(Delivery.id).where(Delivery.id == delivery.id, or_(*conditions))
    return session.execute(found).first() is not None
