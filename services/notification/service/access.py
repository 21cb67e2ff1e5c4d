"""Who may read which deliveries (the one place for it).

A dossier's delivery log: its applicant and consultants, officials whose unit contains the
case (auditors included), admins without a unit. Outside reach the log answers 404, like a
dossier this service never heard of. Everyone reads the deliveries addressed to them.
"""

from __future__ import annotations

import uuid

from services.notification.models import Delivery
from shared.auth import OFFICIAL_ROLES, Principal
from shared.jurisdiction import contains


def me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.account_id)


def can_read_case_log(principal: Principal, delivery: Delivery) -> bool:
    """Whether ``principal`` may read the deliveries of ``delivery``'s case."""
    account = me(principal)
    if account == delivery.owner_account_id:
        return True
    if str(account) in (delivery.consultant_account_ids or []):
        return True
    if not principal.has(*OFFICIAL_ROLES) or delivery.unit_tree is None:
        return False
    if principal.unit is None:
        return principal.has("admin")
    return contains(principal.unit, delivery)
