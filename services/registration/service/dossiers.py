"""Dossiers: filing, editing, the intake lifecycle, listing within reach.

The certificate an upgrade or a re-evaluation names is checked by certificate_refs.py, against
the certificates read model (certificates_read_model.py); product codes are given by
product_codes.py when the commune accepts.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy import update as update_rows
from sqlalchemy.orm import Session

from services.registration.domain import lifecycle
from services.registration.domain.lifecycle import Action, Status
from services.registration.models import Account, Dossier, Producer
from services.registration.service import access, certificate_refs, product_codes, unit_map
from services.registration.service import producers as producer_service
from shared import calendar
from shared.auth import Principal, UnitRef
from shared.db import UnitOfWork, table_of
from shared.errors import Conflict, FieldError, Forbidden, Invalid, NotFound, Refused
from shared.events import Actor, new_event
from shared.ids import new_id
from shared.jurisdiction import within
from shared.rubrics import ProductSet, answer_codes, load_rubric

RUBRIC_VERSION = "qd26-2026"

# The outcomes of evaluation's decisions that end a case at a level (a return for completion
# does not): the dossier can no longer be withdrawn.
DECISIONS = frozenset({"recognised", "not_recognised", "rejected"})


def product_sets(version: str = RUBRIC_VERSION) -> dict[str, ProductSet]:
    """The product sets of a rubric version by code ("01"–"26")."""
    return {s.set_code: s for s in load_rubric(version).catalog.sets}


def _actor(principal: Principal) -> Actor:
    return Actor(principal.account_id, principal.primary_role)


def _now() -> datetime:
    return datetime.now(UTC)


def _today() -> date:
    """Today in Vietnam: the day a filing is dated."""
    return calendar.today()


def _form01(producer: Producer, commitment: bool) -> dict[str, Any]:
    """Form 01 (phiếu đăng ký): the producer's particulars as filed, and the sworn commitment."""
    return {
        "unit_name": producer.name,
        "entity_type": producer.entity_type,
        "representative": producer.representative,
        "address": producer.address,
        "phone": producer.phone,
        "email": producer.email,
        "business_registration_no": producer.business_registration_no,
        "commitment": commitment,
    }


def _check_product_set(code: str) -> None:
    if code not in product_sets():
        raise Invalid(errors={"product_set_code": ("product_set.unknown", {"code": code})})


def _check_answers(set_code: str, answers: dict[str, Any], *, complete: bool) -> None:
    errors = answer_codes(load_rubric(RUBRIC_VERSION).sheet(set_code), answers, complete=complete)
    if errors:
        raise Invalid(
            "self_assessment.mismatch",
            errors={"self_assessment": errors},
        )


def _check_version(dossier: Dossier, expected: int) -> None:
    if dossier.version != expected:
        raise Conflict("dossier.stale", yours=expected, current_version=dossier.version)


def facts(dossier: Dossier, producer: Producer) -> dict[str, Any]:
    """What every dossier event carries about the case."""
    return {
        "dossier_id": dossier.id,
        "version": dossier.version,
        "producer_id": producer.id,
        "producer_name": producer.name,
        "owner_account_id": producer.owner_account_id,
        "consultant_account_ids": [g.consultant_account_id for g in producer.grants],
        "product_name": dossier.product_name,
        "product_set_code": dossier.product_set_code,
        "registration_type": dossier.registration_type,
        "rubric_version": dossier.rubric_version,
        "regime": dossier.regime,
        "unit_tree": dossier.unit_tree,
        "province_code": dossier.province_code,
        "district_code": dossier.district_code,
        "commune_code": dossier.commune_code,
        "product_code": dossier.product_code,
        "certificate_number": dossier.certificate_number,
        "filed_on": dossier.filed_on,
        "late_filing": dossier.late_filing,
        "handler_account_id": dossier.handler_account_id,
    }


def record_decision(*, uow: UnitOfWork, dossier_id: uuid.UUID, outcome: str) -> None:
    """Record the decision that ended the dossier's case (the first one told wins): from then
    on it can no longer be withdrawn. A statement on the table, as for the status line."""
    table = table_of(Dossier)
    uow.session.execute(
        update_rows(table)
        .where(table.c.id == dossier_id, table.c.decided_outcome.is_(None))
        .values(decided_outcome=outcome)
    )


def create(*, uow: UnitOfWork, principal: Principal, regime: str, data: dict[str, Any]) -> Dossier:
    """The applicant (or its consultant) opens a draft dossier for one product."""
    producer = producer_service.get(
        session=uow.session, principal=principal, producer_id=data["producer_id"]
    )
    if not access.acts_for_producer(principal, producer):
        raise Forbidden("dossier.not_applicant_side")
    _check_product_set(data["product_set_code"])
    answers = data.get("self_assessment") or {}
    _check_answers(data["product_set_code"], answers, complete=False)
    certificate_refs.check(
        uow.session,
        producer_id=producer.id,
        registration_type=data["registration_type"],
        number=data.get("certificate_number"),
        filed_on=None,
        product_set_code=data["product_set_code"],
    )
    tree, province, district, commune = unit_map.filing_unit(uow.session, producer, regime)
    now = _now()
    dossier = Dossier(
        id=new_id(),
        status=Status.DRAFT.value,
        producer_id=producer.id,
        created_by=access.me(principal),
        registration_type=data["registration_type"],
        certificate_number=data.get("certificate_number"),
        product_name=data["product_name"],
        product_set_code=data["product_set_code"],
        rubric_version=RUBRIC_VERSION,
        regime=regime,
        unit_tree=tree,
        province_code=province,
        district_code=district,
        commune_code=commune,
        form01=_form01(producer, bool(data.get("commitment", False))),
        self_assessment=answers,
        samples_count=data.get("samples_count", 0),
        missing_items=[],
        created_at=now,
        updated_at=now,
    )
    uow.session.add(dossier)
    uow.session.flush()
    return dossier


def get(*, session: Session, principal: Principal, dossier_id: uuid.UUID) -> Dossier:
    """A dossier within the caller's reach (404 otherwise, as for a missing one)."""
    dossier = session.execute(
        select(Dossier).where(Dossier.id == dossier_id, access.dossier_reach(principal))
    ).scalar_one_or_none()
    if dossier is None:
        raise NotFound("dossier.not_found")
    return dossier


def get_with_producer(
    *, session: Session, principal: Principal, dossier_id: uuid.UUID
) -> tuple[Dossier, Producer]:
    """A dossier within reach and its producer, in one query (every change needs both)."""
    row = session.execute(
        select(Dossier, Producer)
        .join(Producer, Dossier.producer_id == Producer.id)
        .where(Dossier.id == dossier_id, access.dossier_reach(principal))
    ).one_or_none()
    if row is None:
        raise NotFound("dossier.not_found")
    return row[0], row[1]


def update(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    expected_version: int,
    changes: dict[str, Any],
) -> Dossier:
    """The applicant edits a draft, or a dossier returned to it for supplement."""
    dossier, producer = get_with_producer(
        session=uow.session, principal=principal, dossier_id=dossier_id
    )
    if not access.acts_for_producer(principal, producer):
        raise Forbidden("dossier.not_applicant_side")
    _check_version(dossier, expected_version)
    if Status(dossier.status) not in lifecycle.EDITABLE:
        raise Refused("dossier.not_editable", status=dossier.status)
    if "self_assessment" in changes:
        _check_answers(dossier.product_set_code, changes["self_assessment"], complete=False)
        dossier.self_assessment = changes["self_assessment"]
    if {"registration_type", "certificate_number"} & changes.keys():
        certificate_refs.check(
            uow.session,
            producer_id=producer.id,
            registration_type=changes.get("registration_type", dossier.registration_type),
            number=changes.get("certificate_number", dossier.certificate_number),
            filed_on=None,
            product_set_code=dossier.product_set_code,
            dossier_id=dossier.id,
        )
    for name in ("product_name", "registration_type", "certificate_number", "samples_count"):
        if name in changes:
            setattr(dossier, name, changes[name])
    if "commitment" in changes:
        dossier.form01 = {**dossier.form01, "commitment": bool(changes["commitment"])}
    dossier.updated_at = _now()
    uow.session.flush()
    return dossier


@dataclass(frozen=True, slots=True)
class Decision:
    """What an intake or applicant action carries beyond the action itself."""

    missing_items: list[dict[str, Any]] | None = None
    reason: str | None = None


def _check_ready_to_submit(dossier: Dossier) -> None:
    _check_answers(dossier.product_set_code, dossier.self_assessment, complete=True)
    errors: dict[str, FieldError] = {}
    if not dossier.form01.get("commitment"):
        errors["commitment"] = "dossier.commitment_missing"
    product_set = product_sets()[dossier.product_set_code]
    if product_set.requires_5_samples and dossier.samples_count < 5:
        errors["samples_count"] = ("dossier.samples_required", {"count": 5})
    if errors:
        raise Invalid("dossier.not_ready", errors=errors)


def transition(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    action: Action,
    expected_version: int,
    decision: Decision | None = None,
) -> Dossier:
    """Move the dossier along the lifecycle table and publish what happened."""
    decision = decision or Decision()
    dossier, producer = get_with_producer(
        session=uow.session, principal=principal, dossier_id=dossier_id
    )
    # A move made on a version someone else changed since is stale (409), whatever the move
    # would meet now: the loser of a race is told the dossier changed, not that it may not act.
    _check_version(dossier, expected_version)
    try:
        step = lifecycle.next_status(
            Status(dossier.status),
            action,
            principal.roles,
            decided=dossier.decided_outcome is not None,
        )
    except lifecycle.RoleNotAllowed as exc:
        raise Forbidden(exc.code, **exc.params) from exc
    except lifecycle.TransitionError as exc:
        raise Refused(exc.code, **exc.params) from exc
    if step.roles is lifecycle.APPLICANT_SIDE and not access.acts_for_producer(principal, producer):
        raise Forbidden("dossier.not_applicant_side")
    if step.roles is lifecycle.COMMUNE:
        if not access.handles_intake(principal, dossier):
            raise Forbidden("dossier.not_handler")
        # An officer who acts on a dossier from the commune's queue takes it (ADR 0009).
        dossier.handler_account_id = access.me(principal)
    previous = dossier.status
    now = _now()
    extra: dict[str, Any] = {}
    if action in (Action.SUBMIT, Action.RESUBMIT):
        _check_ready_to_submit(dossier)
        # Filed on the first submission; a resubmission after a return keeps that date.
        filed_on = dossier.filed_on or _today()
        dossier.late_filing = certificate_refs.check(
            uow.session,
            producer_id=producer.id,
            registration_type=dossier.registration_type,
            number=dossier.certificate_number,
            filed_on=filed_on,
            product_set_code=dossier.product_set_code,
            dossier_id=dossier.id,
        )
        dossier.filed_on = filed_on
        dossier.submitted_at = now
        dossier.missing_items = []
        extra = {"self_assessment": dossier.self_assessment, "samples_count": dossier.samples_count}
    elif action is Action.RETURN:
        if not decision.missing_items:
            raise Invalid(errors={"missing_items": "dossier.missing_items_required"})
        dossier.missing_items = decision.missing_items
        extra = {"missing_items": decision.missing_items}
    elif action is Action.ACCEPT:
        dossier.product_code = product_codes.assign(uow, dossier)
        dossier.accepted_at = now
        extra = {
            "self_assessment": dossier.self_assessment,
            "samples_count": dossier.samples_count,
            "form01": dossier.form01,
        }
    dossier.status = step.to.value
    dossier.updated_at = now
    certificate_refs.flush_filed(
        uow, dossier
    )  # bumps the version (optimistic lock) before the event records it
    uow.add_event(
        new_event(
            step.event,
            {
                **facts(dossier, producer),
                "from_status": previous,
                "to_status": dossier.status,
                "reason": decision.reason,
                **extra,
            },
            producer="registration",
            actor=_actor(principal),
            dossier_id=dossier.id,
        )
    )
    return dossier


def assign(
    *,
    uow: UnitOfWork,
    principal: Principal,
    dossier_id: uuid.UUID,
    expected_version: int,
    handler_id: uuid.UUID | None,
) -> Dossier:
    """Take a dossier from the commune's queue (no ``handler_id``: oneself), or hand it to
    another officer of its commune; its handler, or any officer of the commune while it waits
    in the queue, may do so."""
    dossier, producer = get_with_producer(
        session=uow.session, principal=principal, dossier_id=dossier_id
    )
    if not access.handles_intake(principal, dossier):
        raise Forbidden("dossier.not_handler")
    if Status(dossier.status) not in lifecycle.AT_THE_COMMUNE:
        raise Refused("dossier.not_at_intake", status=dossier.status)
    _check_version(dossier, expected_version)
    handler = handler_id or access.me(principal)
    officer = uow.session.get(Account, handler)
    if (
        officer is None
        or not officer.active
        or "commune_officer" not in officer.roles
        or officer.unit != str(access.commune_of(dossier))
    ):
        raise Invalid(errors={"account_id": "dossier.not_commune_officer"})
    previous = dossier.handler_account_id
    if previous == handler:
        return dossier
    dossier.handler_account_id = handler
    dossier.updated_at = _now()
    uow.session.flush()
    uow.add_event(
        new_event(
            "dossier.assigned",
            {
                **facts(dossier, producer),
                "from_status": dossier.status,
                "to_status": dossier.status,
                "previous_handler_account_id": previous,
            },
            producer="registration",
            actor=_actor(principal),
            dossier_id=dossier.id,
        )
    )
    return dossier


def return_after_review(
    *, uow: UnitOfWork, dossier_id: uuid.UUID, reason: str | None, actor: Actor
) -> Dossier | None:
    """Apply the commune review's return of an accepted dossier (told by the evaluation
    service); the applicant completes it and resubmits as after an intake return."""
    row = uow.session.execute(
        select(Dossier, Producer)
        .join(Producer, Dossier.producer_id == Producer.id)
        .where(Dossier.id == dossier_id)
    ).one_or_none()
    if row is None:
        return None
    dossier, producer = row
    try:
        step = lifecycle.next_status(Status(dossier.status), Action.RETURN, lifecycle.SYSTEM)
    except lifecycle.TransitionError:
        return None  # withdrawn meanwhile, or already returned: nothing to apply
    previous = dossier.status
    dossier.missing_items = [{"item": "commune_review", "note": reason}]
    dossier.status = step.to.value
    dossier.updated_at = _now()
    uow.session.flush()
    uow.add_event(
        new_event(
            step.event,
            {
                **facts(dossier, producer),
                "from_status": previous,
                "to_status": dossier.status,
                "reason": reason,
                "missing_items": dossier.missing_items,
            },
            producer="registration",
            actor=actor,
            dossier_id=dossier.id,
        )
    )
    return dossier


@dataclass(frozen=True, slots=True)
class Filters:
    status: tuple[str, ...] = ()
    unit: str | None = None
    product_set_code: str | None = None
    producer_id: uuid.UUID | None = None
    handler: str | None = None  # "me" or "none"


def _filtered(principal: Principal, filters: Filters) -> Select[Dossier]:
    query = select(Dossier).where(access.dossier_reach(principal))
    if filters.status:
        query = query.where(Dossier.status.in_(filters.status))
    if filters.product_set_code:
        query = query.where(Dossier.product_set_code == filters.product_set_code)
    if filters.producer_id:
        query = query.where(Dossier.producer_id == filters.producer_id)
    if filters.handler == "me":
        query = query.where(Dossier.handler_account_id == access.me(principal))
    elif filters.handler == "none":
        query = query.where(Dossier.handler_account_id.is_(None))
    if filters.unit:
        try:
            ref = UnitRef.parse(filters.unit)
        except ValueError as exc:
            raise Invalid(errors={"unit": "unit.malformed"}) from exc
        query = query.where(within(ref, access.DOSSIER_UNIT))
    return query


def list_(
    *,
    session: Session,
    principal: Principal,
    filters: Filters,
    limit: int,
    after: uuid.UUID | None = None,
) -> tuple[list[Dossier], uuid.UUID | None]:
    """A page of dossiers in reach, newest first; returns the cursor of the next page."""
    query = _filtered(principal, filters)
    if after is not None:
        query = query.where(Dossier.id < after)
    rows = list(session.execute(query.order_by(Dossier.id.desc()).limit(limit + 1)).scalars())
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor
