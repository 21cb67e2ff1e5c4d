"""Dossiers: filing, editing, intake transitions, listing."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from flask import g
from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration.domain import lifecycle
from services.registration.domain.intake import AWAITING_CHECK, intake_due_on
from services.registration.domain.lifecycle import Action, Status
from services.registration.models import Certificate, Dossier
from services.registration.runtime import current
from services.registration.schemas.dossiers import (
    AssignIn,
    DossierCreateIn,
    DossierListArgs,
    DossierOut,
    DossierPage,
    DossierUpdateIn,
    ReturnIn,
    VersionIn,
    WithdrawIn,
)
from services.registration.service import (
    access,
    certificates_read_model,
    email_confirmation,
    self_assessment,
)
from services.registration.service import calendar as calendar_service
from services.registration.service import dossiers as dossier_service
from shared.auth import Principal
from shared.calendar import local_date
from shared.db import as_utc
from shared.openapi import link, links
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1/dossiers", description="Dossiers")

# What a created dossier's answer links to (OpenAPI links): the draft, by its id and version.
_ONE = "/api/v1/dossiers/{dossier_id}"
_ID = {"path.dossier_id": "$response.body#/id"}
_VERSION = {"version": "$response.body#/version"}


_FIELDS = [
    name
    for name in DossierOut().fields
    if name not in ("allowed_actions", "certificate", "intake_due_on", "self_assessment_score")
]


def _self_assessment_score(dossier: Dossier) -> dict[str, Any] | None:
    scored = self_assessment.score_of(dossier)
    if scored is None:
        return None
    return {
        "total": scored.total,
        "parts": dict(scored.part_totals),
        "band": scored.band,
        "star_rank": scored.star_rank,
        "holding_back": list(scored.holding_back),
        "missing": list(scored.missing),
    }


def _intake_due_on(dossier: Dossier) -> date | None:
    """The commune's intake deadline (domain.intake) of a dossier waiting for its check, on the
    working calendar with the notices loaded (read once per request, and only if needed)."""
    if dossier.submitted_at is None or Status(dossier.status) not in AWAITING_CHECK:
        return None
    if "working_calendar" not in g:
        with current().db.reader() as session:
            g.working_calendar = calendar_service.working_calendar(session)
    received_on = local_date(as_utc(dossier.submitted_at))
    return intake_due_on(dossier.status, received_on, g.working_calendar)


def _out(
    dossier: Dossier, principal: Principal, certificate: Certificate | None = None
) -> dict[str, Any]:
    """The dossier's fields plus what this caller may do next (the schema renders them), and
    the certificate its recognition issued. A write never answers one: a certificate is issued
    only for a decided dossier, which no write changes (edits and intake come before, and
    withdrawal is refused once decided)."""
    data = {name: getattr(dossier, name) for name in _FIELDS}
    data["intake_due_on"] = _intake_due_on(dossier)
    data["self_assessment_score"] = _self_assessment_score(dossier)
    data["certificate"] = certificate
    status = Status(dossier.status)
    intake = access.handles_intake(principal, dossier)
    roles = principal.roles if intake else principal.roles - lifecycle.COMMUNE
    decided = dossier.decided_outcome is not None
    data["allowed_actions"] = lifecycle.allowed_actions(status, roles, decided=decided)
    if intake and status in lifecycle.AT_THE_COMMUNE:
        data["allowed_actions"].append("assign")
    return data


@blp.route("")
class Dossiers(MethodView):
    @blp.arguments(DossierListArgs, location="query")
    @blp.response(200, DossierPage)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Dossiers within your reach, newest first (cursor pagination)"""
        principal = current_principal()
        filters = dossier_service.Filters(
            status=tuple(args.get("status", ())),
            unit=args.get("unit"),
            product_set_code=args.get("product_set_code"),
            producer_id=args.get("producer_id"),
            handler=args.get("handler"),
        )
        with current().db.reader() as session:
            items, cursor = dossier_service.list_(
                session=session,
                principal=principal,
                filters=filters,
                limit=args["limit"],
                after=args.get("after"),
            )
            issued = certificates_read_model.certificates_of(session, [d.id for d in items])
            return {"items": [_out(d, principal, issued.get(d.id)) for d in items], "next": cursor}

    @blp.arguments(DossierCreateIn)
    @blp.response(201, DossierOut)
    @blp.doc(
        **links(
            201,
            GetDossier=link("get", _ONE, "The draft opened", parameters=_ID),
            EditDossier=link("patch", _ONE, "Edit the draft", parameters=_ID, body=_VERSION),
            ListDocuments=link("get", f"{_ONE}/documents", "Its documents", parameters=_ID),
            UploadDocument=link("post", f"{_ONE}/documents", "Upload a document", parameters=_ID),
            SubmitDossier=link(
                "post", f"{_ONE}/submit", "Submit it to the commune", parameters=_ID, body=_VERSION
            ),
            DossierHistory=link("get", f"{_ONE}/history", "What happened to it", parameters=_ID),
        )
    )
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any]) -> Any:
        """Open a draft dossier for a product (an upgrade or re-evaluation names its certificate)"""
        rt = current()
        principal = current_principal()
        with rt.db.unit_of_work() as uow:
            dossier = dossier_service.create(
                uow=uow, principal=principal, regime=rt.settings.regime, data=data
            )
            uow.commit()
        return _out(dossier, principal)


@blp.route("/<uuid:dossier_id>")
class DossierItem(MethodView):
    @blp.response(200, DossierOut)
    @document_errors(blp, *READ_ERRORS)
    def get(self, dossier_id: uuid.UUID) -> Any:
        """One dossier"""
        principal = current_principal()
        with current().db.reader() as session:
            dossier = dossier_service.get(
                session=session, principal=principal, dossier_id=dossier_id
            )
            issued = certificates_read_model.certificates_of(session, [dossier.id])
            return _out(dossier, principal, issued.get(dossier.id))

    @blp.arguments(DossierUpdateIn)
    @blp.response(200, DossierOut)
    @document_errors(blp, *WRITE_ERRORS)
    def patch(self, data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
        """Edit a draft or returned dossier (send the version you read)"""
        principal = current_principal()
        expected = data.pop("version")
        with current().db.unit_of_work() as uow:
            dossier = dossier_service.update(
                uow=uow,
                principal=principal,
                dossier_id=dossier_id,
                expected_version=expected,
                changes=data,
            )
            uow.commit()
        return _out(dossier, principal)


def _transition(
    dossier_id: uuid.UUID,
    action: Action,
    data: dict[str, Any],
    decision: dossier_service.Decision | None = None,
) -> dict[str, Any]:
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        dossier = dossier_service.transition(
            uow=uow,
            principal=principal,
            dossier_id=dossier_id,
            action=action,
            expected_version=data["version"],
            decision=decision,
        )
        uow.commit()
    return _out(dossier, principal)


@blp.route("/<uuid:dossier_id>/submit", methods=["POST"])
@blp.arguments(VersionIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def submit(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Submit a draft to the commune

    An upgrade's or re-evaluation's certificate is checked again on filing; a re-evaluation is
    filed from 180 to 120 days before expiry, or late (``late_filing``) until 180 days after it.
    A self-registered account submits once its email is confirmed, where the deployment
    requires it (409 ``email_confirmation.required``).
    """
    rt = current()
    with rt.db.reader() as session:
        email_confirmation.check_may_submit(session, rt.settings, current_principal())
    return _transition(dossier_id, Action.SUBMIT, data)


@blp.route("/<uuid:dossier_id>/resubmit", methods=["POST"])
@blp.arguments(VersionIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def resubmit(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Resubmit a dossier returned for supplement"""
    return _transition(dossier_id, Action.RESUBMIT, data)


@blp.route("/<uuid:dossier_id>/return", methods=["POST"])
@blp.arguments(ReturnIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def return_(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Return the dossier to the applicant, listing what is missing (commune officer)"""
    decision = dossier_service.Decision(missing_items=data["missing_items"], reason=data["reason"])
    return _transition(dossier_id, Action.RETURN, data, decision)


@blp.route("/<uuid:dossier_id>/accept", methods=["POST"])
@blp.arguments(VersionIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def accept(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Accept the dossier and hand it to evaluation (commune officer)"""
    return _transition(dossier_id, Action.ACCEPT, data)


@blp.route("/<uuid:dossier_id>/assign", methods=["POST"])
@blp.arguments(AssignIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def assign(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Take the dossier from the commune's queue, or hand it to another officer of the commune

    Without ``account_id`` the caller takes it. From then on only its handler (and the
    applicant's side) sees it at the commune; other officers of the commune no longer do.
    """
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        dossier = dossier_service.assign(
            uow=uow,
            principal=principal,
            dossier_id=dossier_id,
            expected_version=data["version"],
            handler_id=data["account_id"],
        )
        uow.commit()
    return _out(dossier, principal)


@blp.route("/<uuid:dossier_id>/withdraw", methods=["POST"])
@blp.arguments(WithdrawIn)
@blp.response(200, DossierOut)
@document_errors(blp, *WRITE_ERRORS)
def withdraw(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Withdraw the dossier before a decision (applicant)

    Refused (409) once a level has decided its case (``decided_outcome``): a recognised product
    keeps its certificate, a refusal stands.
    """
    decision = dossier_service.Decision(reason=data["reason"])
    return _transition(dossier_id, Action.WITHDRAW, data, decision)
