"""Producers (chủ thể OCOP) and the consultants they grant access to their dossiers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.models import Account, AdminUnit, ConsultantGrant, Producer
from services.registration.service import access
from services.registration.service.units import REGIME_TREE
from shared.auth import Principal, UnitRef
from shared.db import UnitOfWork
from shared.errors import Forbidden, Invalid, NotFound
from shared.events import Actor, new_event


def resolve_commune(session: Session, unit: str, *, regime: str) -> AdminUnit:
    """The commune ``unit`` names, which must belong to the tree of the current regime."""
    try:
        ref = UnitRef.parse(unit)
    except ValueError as exc:
        raise Invalid(errors={"unit": "unit.malformed"}) from exc
    tree = REGIME_TREE[regime]
    if ref.level != "commune" or ref.tree != tree:
        raise Invalid(errors={"unit": ("unit.not_a_commune", {"tree": tree})})
    row = session.execute(
        select(AdminUnit).where(
            AdminUnit.tree == ref.tree, AdminUnit.level == "commune", AdminUnit.code == ref.code
        )
    ).scalar_one_or_none()
    if row is None:
        raise Invalid(errors={"unit": ("unit.unknown", {"unit": unit})})
    return row


def create(*, uow: UnitOfWork, principal: Principal, regime: str, data: dict[str, Any]) -> Producer:
    """An applicant records the entity it represents."""
    if not principal.has("applicant"):
        raise Forbidden("producer.applicants_only")
    commune = resolve_commune(uow.session, data["unit"], regime=regime)
    producer = Producer(
        owner_account_id=access.me(principal),
        name=data["name"],
        entity_type=data["entity_type"],
        representative=data["representative"],
        unit_tree=commune.tree,
        province_code=commune.province_code,
        district_code=commune.district_code,
        commune_code=commune.code,
        address=data["address"],
        phone=data["phone"],
        email=data["email"],
        business_registration_no=data.get("business_registration_no"),
        created_at=datetime.now(UTC),
        grants=[],
    )
    uow.session.add(producer)
    uow.session.flush()
    return producer


def get(*, session: Session, principal: Principal, producer_id: uuid.UUID) -> Producer:
    """A producer within the caller's reach."""
    producer = session.execute(
        select(Producer).where(Producer.id == producer_id, access.producer_reach(principal))
    ).scalar_one_or_none()
    if producer is None:
        raise NotFound("producer.not_found")
    return producer


def list_(
    *, session: Session, principal: Principal, limit: int, after: uuid.UUID | None = None
) -> tuple[list[Producer], uuid.UUID | None]:
    """A page of the producers within the caller's reach, newest first, and the cursor of the
    next page (None on the last)."""
    query = select(Producer).where(access.producer_reach(principal))
    if after is not None:
        query = query.where(Producer.id < after)
    rows = list(session.execute(query.order_by(Producer.id.desc()).limit(limit + 1)).scalars())
    return rows[:limit], rows[limit - 1].id if len(rows) > limit else None


def set_consultant(
    *, uow: UnitOfWork, principal: Principal, producer_id: uuid.UUID, email: str, granted: bool
) -> Producer:
    """The producer's owner grants (or withdraws) a consultant's access to its dossiers."""
    producer = get(session=uow.session, principal=principal, producer_id=producer_id)
    if producer.owner_account_id != access.me(principal):
        raise Forbidden("producer.not_owner")
    consultant = uow.session.execute(
        select(Account).where(Account.email == email.strip().lower())
    ).scalar_one_or_none()
    if consultant is None or "consultant" not in consultant.roles:
        raise Invalid(errors={"email": "producer.no_such_consultant"})
    existing = next((g for g in producer.grants if g.consultant_account_id == consultant.id), None)
    if granted and existing is None:
        producer.grants.append(
            ConsultantGrant(consultant_account_id=consultant.id, granted_at=datetime.now(UTC))
        )
    elif not granted and existing is not None:
        producer.grants.remove(existing)
    else:
        return producer  # nothing changes, nothing to announce
    uow.add_event(
        new_event(
            "consultant.access_changed",
            {
                "producer_id": producer.id,
                "consultant_account_id": consultant.id,
                "granted": granted,
            },
            producer="registration",
            actor=Actor(principal.account_id, principal.primary_role),
        )
    )
    return producer
