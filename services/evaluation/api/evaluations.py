"""Cases, the commune review, evaluations, conflict declarations, score sheets, finalising."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.evaluation.models import Case
from services.evaluation.runtime import current
from services.evaluation.schemas.evaluations import (
    AssignIn,
    CaseDetailOut,
    CaseListArgs,
    CaseOut,
    CasePage,
    CommuneReviewIn,
    ConflictIn,
    ConflictOut,
    EvaluationDossierOut,
    EvaluationListArgs,
    EvaluationOut,
    EvaluationPage,
    EvaluationSummaryOut,
    FinaliseIn,
    FoundConflictIn,
    SheetIn,
    SheetList,
    SheetListArgs,
    SheetOut,
    SheetReviseIn,
    reason_of,
)
from services.evaluation.service import assignment as assignment_service
from services.evaluation.service import cases as case_service
from services.evaluation.service import commune_review as commune_review_service
from services.evaluation.service import conflicts as conflict_service
from services.evaluation.service import finalising as finalising_service
from services.evaluation.service import sheets as sheet_service
from services.evaluation.service import standing as standing_service
from shared.auth import Principal
from shared.openapi import link, links
from shared.paging import page
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint(
    "evaluations",
    __name__,
    url_prefix="/api/v1",
    description="Cases, the commune review, evaluations and score sheets",
)

_CASE_FIELDS = list(CaseOut().fields)
# The reason code is computed by the schema from the outcome and result (reason_of).
_SUMMARY_FIELDS = [name for name in EvaluationSummaryOut().fields if name != "reason_code"]
_SHEET_FIELDS = [name for name in SheetOut().fields if name not in ("revisions", "set_aside")]
_DOSSIER_FIELDS = [
    name for name in EvaluationDossierOut().fields if name not in ("commune_review", "documents")
]

# What an opened evaluation's answer links to (OpenAPI links).
_EVALUATION = "/api/v1/evaluations/{evaluation_id}"
_EVAL_ID = {"path.evaluation_id": "$response.body#/id"}


def _case(case: Case) -> dict[str, Any]:
    return {name: getattr(case, name) for name in _CASE_FIELDS}


def _detail(detail: case_service.CaseDetail) -> dict[str, Any]:
    refused = detail.case.stage == case_service.NOT_RECOGNISED and detail.evaluations
    return {
        **_case(detail.case),
        "commune_review": detail.commune_review,
        "evaluations": detail.evaluations,
        # The council's refusal that ended the case (the commune's rejection has none).
        "reason_code": reason_of(detail.evaluations[-1]) if refused else None,
    }


def _item(evaluation: Any, facts: standing_service.CaseFacts) -> dict[str, Any]:
    """An evaluation's summary with its case's facts (product, producer, round closing)."""
    return {
        **{name: getattr(evaluation, name) for name in _SUMMARY_FIELDS},
        "dossier_id": evaluation.dossier_id,
        "product_name": facts.product_name,
        "producer_name": facts.producer_name,
        "round_closes_on": facts.round_closes_on,
    }


def _evaluation(view: standing_service.EvaluationView) -> dict[str, Any]:
    evaluation = view.evaluation
    return {
        **_item(evaluation, view.facts),
        "version": evaluation.version,
        "max_spread": view.max_spread,
        "quorum": view.quorum,
        "spread": view.spread,
        "mine": view.mine,
    }


def _sheet(view: sheet_service.SheetView) -> dict[str, Any]:
    return {
        **{name: getattr(view.sheet, name) for name in _SHEET_FIELDS},
        "revisions": view.revisions,
        "set_aside": view.set_aside,
    }


def _read_evaluation(principal: Principal, evaluation_id: uuid.UUID) -> dict[str, Any]:
    with current().db.reader() as session:
        view = standing_service.get(
            session=session, principal=principal, evaluation_id=evaluation_id
        )
        return _evaluation(view)


# --- cases ----------------------------------------------------------------------------------


@blp.route("/cases")
class Cases(MethodView):
    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, CasePage)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Cases within your reach, newest first (cursor pagination)"""
        principal = current_principal()
        filters = case_service.CaseFilters(
            level=args.get("level"), stage=args.get("stage"), current=args["current"]
        )
        with current().db.reader() as session:
            items, cursor = case_service.list_cases(
                session=session,
                principal=principal,
                filters=filters,
                limit=args["limit"],
                after=args.get("after"),
            )
            return {"items": [_case(c) for c in items], "next": cursor}


@blp.route("/cases/<uuid:dossier_id>")
class CaseItem(MethodView):
    @blp.response(200, CaseDetailOut)
    @document_errors(blp, *READ_ERRORS)
    def get(self, dossier_id: uuid.UUID) -> Any:
        """One case: where it is, its commune review and its evaluations with their results"""
        principal = current_principal()
        with current().db.reader() as session:
            detail = case_service.case_detail(
                session=session, principal=principal, dossier_id=dossier_id
            )
            return _detail(detail)


@blp.route("/cases/<uuid:dossier_id>/commune-review", methods=["POST"])
@blp.arguments(CommuneReviewIn)
@blp.response(200, CaseDetailOut)
@document_errors(blp, *WRITE_ERRORS)
def commune_review(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Record the commune's report (Form 03) and propose, return or reject the case"""
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        commune_review_service.review(
            uow=uow,
            principal=principal,
            dossier_id=dossier_id,
            expected_version=data["version"],
            local_criteria=data["local_criteria"],
            proposal=data["proposal"],
            reasons=data["reasons"],
        )
        uow.commit()
    with current().db.reader() as session:
        detail = case_service.case_detail(
            session=session, principal=principal, dossier_id=dossier_id
        )
        return _detail(detail)


@blp.route("/cases/<uuid:dossier_id>/evaluations", methods=["POST"])
@blp.arguments(AssignIn)
@blp.response(201, EvaluationOut)
@blp.doc(
    **links(
        201,
        GetEvaluation=link("get", _EVALUATION, "The evaluation opened", parameters=_EVAL_ID),
        EvaluationDossier=link(
            "get", f"{_EVALUATION}/dossier", "The dossier it scores", parameters=_EVAL_ID
        ),
        DeclareConflict=link(
            "post", f"{_EVALUATION}/conflicts", "Declare a conflict or none", parameters=_EVAL_ID
        ),
        HandInSheet=link("post", f"{_EVALUATION}/sheets", "Hand in a sheet", parameters=_EVAL_ID),
    )
)
@document_errors(blp, *WRITE_ERRORS)
def assign(data: dict[str, Any], dossier_id: uuid.UUID) -> Any:
    """Assign the case to a council of its level and a round (the level's secretariat)"""
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        evaluation = assignment_service.assign(
            uow=uow,
            principal=principal,
            dossier_id=dossier_id,
            expected_version=data["version"],
            council_id=data["council_id"],
            round_id=data["round_id"],
        )
        uow.commit()
    return _read_evaluation(principal, evaluation.id)


# --- evaluations ----------------------------------------------------------------------------


@blp.route("/evaluations")
class Evaluations(MethodView):
    @blp.arguments(EvaluationListArgs, location="query")
    @blp.response(200, EvaluationPage)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Evaluations of the councils you sit on (``mine``) or also oversee, newest first, each
        with its product, producer and round closing date"""
        principal = current_principal()
        with current().db.reader() as session:
            items, cursor = standing_service.list_evaluations(
                session=session,
                principal=principal,
                status=args.get("status"),
                limit=args["limit"],
                after=args.get("after"),
                mine=args["mine"],
            )
            return {"items": [_item(i.evaluation, i.facts) for i in items], "next": cursor}


@blp.route("/evaluations/<uuid:evaluation_id>")
class EvaluationItem(MethodView):
    @blp.response(200, EvaluationOut)
    @document_errors(blp, *READ_ERRORS)
    def get(self, evaluation_id: uuid.UUID) -> Any:
        """An evaluation: status, quorum, and the spread of totals (chair and secretary)"""
        return _read_evaluation(current_principal(), evaluation_id)


@blp.route("/evaluations/<uuid:evaluation_id>/conflicts", methods=["POST"])
@blp.arguments(ConflictIn)
@blp.response(201, ConflictOut)
@document_errors(blp, *WRITE_ERRORS)
def declare_conflict(data: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
    """Declare, once, whether you have a conflict of interest with the applicant (members)"""
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        declaration = conflict_service.declare_conflict(
            uow=uow,
            principal=principal,
            evaluation_id=evaluation_id,
            conflicted=data["conflicted"],
            reason=data["reason"],
        )
        uow.commit()
    return declaration


@blp.route("/evaluations/<uuid:evaluation_id>/conflicts/found", methods=["POST"])
@blp.arguments(FoundConflictIn)
@blp.response(201, ConflictOut)
@document_errors(blp, *WRITE_ERRORS)
def record_conflict(data: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
    """Record a conflict of interest found for a member, with the reason (the secretariat of
    the level or the chair); the member can no longer read or score, and a sheet already handed
    in is set aside"""
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        declaration = conflict_service.record_conflict(
            uow=uow,
            principal=principal,
            evaluation_id=evaluation_id,
            account_id=data["account_id"],
            reason=data["reason"],
        )
        uow.commit()
    return declaration


@blp.route("/evaluations/<uuid:evaluation_id>/dossier")
@blp.response(200, EvaluationDossierOut)
@document_errors(blp, *READ_ERRORS, 403)
def evaluation_dossier(evaluation_id: uuid.UUID) -> Any:
    """The dossier to score: product, self-assessment, Form 03, documents with SHA-256"""
    principal = current_principal()
    with current().db.reader() as session:
        view = sheet_service.dossier(
            session=session, principal=principal, evaluation_id=evaluation_id
        )
        return {
            **{name: getattr(view.case, name) for name in _DOSSIER_FIELDS},
            "commune_review": view.commune_review,
            "documents": view.documents,
        }


@blp.route("/evaluations/<uuid:evaluation_id>/sheets")
class Sheets(MethodView):
    @blp.arguments(SheetListArgs, location="query")
    @blp.response(200, SheetList)
    @document_errors(blp, *READ_ERRORS, 403, 422)
    def get(self, args: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
        """Every member's sheet, once the council has closed, in the order handed in; a page
        at a time (one page holds a council's by default)"""
        principal = current_principal()
        with current().db.reader() as session:
            views = sheet_service.all_sheets(
                session=session, principal=principal, evaluation_id=evaluation_id
            )
            chosen, cursor = page(
                views, lambda v: v.sheet.id, limit=args["limit"], after=args.get("after")
            )
            return {"items": [_sheet(v) for v in chosen], "next": cursor}

    @blp.arguments(SheetIn)
    @blp.response(201, SheetOut)
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
        """Hand in your score sheet: one option per criterion, and a comment"""
        principal = current_principal()
        with current().db.unit_of_work() as uow:
            sheet = sheet_service.submit_sheet(
                uow=uow,
                principal=principal,
                evaluation_id=evaluation_id,
                answers=data["answers"],
                comment=data["comment"],
            )
            uow.commit()
        return _sheet(sheet_service.SheetView(sheet, []))


@blp.route("/evaluations/<uuid:evaluation_id>/sheets/mine")
class MySheet(MethodView):
    @blp.response(200, SheetOut)
    @document_errors(blp, *READ_ERRORS, 403)
    def get(self, evaluation_id: uuid.UUID) -> Any:
        """Your own sheet with its revisions"""
        principal = current_principal()
        with current().db.reader() as session:
            view = sheet_service.my_sheet(
                session=session, principal=principal, evaluation_id=evaluation_id
            )
            return _sheet(view)

    @blp.arguments(SheetReviseIn)
    @blp.response(200, SheetOut)
    @document_errors(blp, *WRITE_ERRORS)
    def put(self, data: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
        """Revise your sheet until the council closes (send the revision you read)"""
        principal = current_principal()
        with current().db.unit_of_work() as uow:
            sheet_service.revise_sheet(
                uow=uow,
                principal=principal,
                evaluation_id=evaluation_id,
                expected_revision=data["revision"],
                answers=data["answers"],
                comment=data["comment"],
            )
            uow.commit()
        with current().db.reader() as session:
            view = sheet_service.my_sheet(
                session=session, principal=principal, evaluation_id=evaluation_id
            )
            return _sheet(view)


@blp.route("/evaluations/<uuid:evaluation_id>/finalise", methods=["POST"])
@blp.arguments(FinaliseIn)
@blp.response(200, EvaluationOut)
@document_errors(blp, *WRITE_ERRORS)
def finalise(data: dict[str, Any], evaluation_id: uuid.UUID) -> Any:
    """Close the scoring (chair or secretary): refused without quorum, reopened for re-scoring
    over the maximum spread, otherwise the result moves the case on"""
    principal = current_principal()
    with current().db.unit_of_work() as uow:
        view = finalising_service.finalise(
            uow=uow,
            principal=principal,
            evaluation_id=evaluation_id,
            expected_version=data["version"],
            findings=data["findings"],
        )
        uow.commit()
    return _evaluation(view)
