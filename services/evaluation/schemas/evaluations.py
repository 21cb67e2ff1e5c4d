"""Request and response schemas of cases, the commune review, evaluations and score sheets.

Request schemas reject unknown fields (marshmallow's default), so a body carrying ``stage``,
``star_rank`` or ``total`` is refused rather than half-applied. Class names are specific to
these routes because the OpenAPI document names its components after them.
"""

from __future__ import annotations

from functools import partial
from typing import Any

from marshmallow import Schema, fields, validate

from services.evaluation.domain.outcome import refusal_reason
from services.evaluation.service import cases
from shared.levels import Level
from shared.paging import BOUNDED_DEFAULT, BOUNDED_MAX

STAGES = [
    cases.COMMUNE_REVIEW,
    cases.AWAITING_ASSIGNMENT,
    cases.IN_EVALUATION,
    cases.AWAITING_DECISION,
    cases.RECOGNISED,
    cases.NOT_RECOGNISED,
    cases.RETURNED,
    cases.WITHDRAWN,
]
LOCAL_CRITERIA = ("local_raw_materials", "local_labour", "idea_origin", "local_identity")
RATINGS = ["yes", "partly", "no"]
PROPOSALS = ["propose", "return", "reject"]
EVALUATION_STATUSES = ["open", "closed"]
OUTCOMES = ["recognised", "forwarded", "handed_back", "not_recognised"]

_VERSION = {"description": "the version you read"}
REASON_HELP = (
    "why a closed result recognised nothing: below_three_stars, knocked_out (a knockout or "
    "stop finding), rank_not_higher (an upgrade not above the certificate it names, which "
    "stands); null for any other outcome"
)


def reason_of(evaluation: Any) -> str | None:
    """The refusal reason of an evaluation, a stored row or the dict answered for it."""
    get = evaluation.get if isinstance(evaluation, dict) else partial(getattr, evaluation)
    result = get("result") or {}
    return refusal_reason(get("outcome"), get("star_rank"), result.get("findings", ()))


# --- cases -----------------------------------------------------------------------------------


class CaseListArgs(Schema):
    level = Level()
    stage = fields.Str(validate=validate.OneOf(STAGES))
    current = fields.Bool(
        load_default=False,
        metadata={
            "description": "only the cases you act on now: the handler, the secretariat, "
            "council or authority of the level where the case sits (not the cases you read "
            "because they passed through your level)"
        },
    )
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class CaseOut(Schema):
    dossier_id = fields.UUID()
    version = fields.Int()
    product_name = fields.Str()
    product_code = fields.Str()
    product_set_code = fields.Str()
    producer_name = fields.Str()
    registration_type = fields.Str()
    rubric_version = fields.Str()
    regime = fields.Str()
    unit_tree = fields.Str()
    province_code = fields.Str()
    district_code = fields.Str(allow_none=True)
    commune_code = fields.Str()
    level = Level()
    stage = fields.Str(validate=validate.OneOf(STAGES))
    pending_rank = fields.Int(
        allow_none=True, metadata={"description": "star rank awaiting the authority's decision"}
    )
    imported = fields.Bool(
        metadata={
            "description": "recognised before this platform and imported (no commune review, "
            "council or decision here)"
        }
    )
    opened_at = fields.DateTime()
    updated_at = fields.DateTime()


class CasePage(Schema):
    items = fields.List(fields.Nested(CaseOut))
    next = fields.UUID(allow_none=True)


class LocalCriterionSchema(Schema):
    assessment = fields.Str(required=True, validate=validate.Length(min=1, max=4000))
    rating = fields.Str(required=True, validate=validate.OneOf(RATINGS))


class LocalCriteriaSchema(Schema):
    """Form 03's four local criteria (Mẫu 03: nguyên liệu, lao động, ý tưởng, bản sắc)."""

    local_raw_materials = fields.Nested(LocalCriterionSchema, required=True)
    local_labour = fields.Nested(LocalCriterionSchema, required=True)
    idea_origin = fields.Nested(LocalCriterionSchema, required=True)
    local_identity = fields.Nested(LocalCriterionSchema, required=True)


class CommuneReviewIn(Schema):
    version = fields.Int(required=True, metadata=_VERSION)
    local_criteria = fields.Nested(LocalCriteriaSchema, required=True)
    proposal = fields.Str(required=True, validate=validate.OneOf(PROPOSALS))
    reasons = fields.Str(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={"description": "required to return or reject"},
    )


class CommuneReviewOut(Schema):
    local_criteria = fields.Nested(LocalCriteriaSchema)
    proposal = fields.Str(validate=validate.OneOf(PROPOSALS))
    reasons = fields.Str(allow_none=True)
    reviewed_by = fields.UUID()
    reviewed_at = fields.DateTime()


class CouncilResultOut(Schema):
    """A council's result: raw means; round for display only (one decimal)."""

    parts = fields.Dict(keys=fields.Str(), values=fields.Float())
    total = fields.Float()
    band = fields.Int()
    marks_met_level = fields.Int()
    star_rank = fields.Int()
    members = fields.Int(metadata={"description": "number of sheets the means are taken over"})
    findings = fields.List(
        fields.Str(), dump_default=list, metadata={"description": "knockout or stop rules found"}
    )


class EvaluationSummaryOut(Schema):
    id = fields.UUID()
    level = Level()
    council_id = fields.UUID()
    round_id = fields.UUID(allow_none=True)
    status = fields.Str(validate=validate.OneOf(EVALUATION_STATUSES))
    rescore_count = fields.Int()
    opened_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    outcome = fields.Str(allow_none=True, validate=validate.OneOf(OUTCOMES))
    star_rank = fields.Int(allow_none=True)
    result = fields.Nested(CouncilResultOut, allow_none=True)
    reason_code = fields.Function(
        reason_of,
        allow_none=True,
        metadata={"description": REASON_HELP, "type": "string"},
    )


class CaseDetailOut(CaseOut):
    commune_review = fields.Nested(CommuneReviewOut, allow_none=True)
    reason_code = fields.Str(
        allow_none=True,
        metadata={"description": "a case not recognised by a council: " + REASON_HELP},
    )
    evaluations = fields.List(
        fields.Nested(EvaluationSummaryOut),
        metadata={"description": "oldest first; results once the council closed"},
    )


class AssignIn(Schema):
    version = fields.Int(required=True, metadata=_VERSION)
    council_id = fields.UUID(required=True)
    round_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "omitted: the level's round that still takes proposals today, if any"
        },
    )


# --- evaluations -----------------------------------------------------------------------------


class EvaluationListArgs(Schema):
    status = fields.Str(validate=validate.OneOf(EVALUATION_STATUSES))
    mine = fields.Bool(
        load_default=False,
        metadata={
            "description": "only the evaluations of the councils you sit on (not those you "
            "oversee as a secretariat, authority or auditor)"
        },
    )
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class QuorumOut(Schema):
    eligible = fields.Int(metadata={"description": "seats minus conflicted members"})
    sheets = fields.Int(metadata={"description": "sheets handed in by eligible members"})
    required = fields.Int(metadata={"description": "sheets a quorum needs"})
    chair_required = fields.Bool()
    chair_in = fields.Bool()
    met = fields.Bool()
    declared = fields.Int(metadata={"description": "members who made a conflict declaration"})
    conflicted = fields.Int()


class SpreadOut(Schema):
    """Current totals, without whose they are (chair and secretary only)."""

    totals = fields.List(fields.Float())
    spread = fields.Float(allow_none=True)
    max_spread = fields.Float()
    exceeded = fields.Bool()


class MyPartOut(Schema):
    seat = fields.Str(allow_none=True, validate=validate.OneOf(["chair", "secretary", "member"]))
    declared = fields.Bool()
    conflicted = fields.Bool(allow_none=True)
    sheet_revision = fields.Int(allow_none=True)


class EvaluationItemOut(EvaluationSummaryOut):
    """An evaluation with what tells its case apart: the product, the producer (a member
    needs them to know whether they have a tie, before anything else of the dossier) and the
    round's closing date."""

    dossier_id = fields.UUID()
    product_name = fields.Str()
    producer_name = fields.Str()
    round_closes_on = fields.Date(
        allow_none=True,
        metadata={"description": "the closing date of the evaluation's round (its deadline)"},
    )


class EvaluationOut(EvaluationItemOut):
    version = fields.Int()
    max_spread = fields.Float()
    quorum = fields.Nested(QuorumOut)
    spread = fields.Nested(SpreadOut, allow_none=True)
    mine = fields.Nested(MyPartOut)


class EvaluationPage(Schema):
    items = fields.List(fields.Nested(EvaluationItemOut))
    next = fields.UUID(allow_none=True)


class ConflictIn(Schema):
    conflicted = fields.Bool(required=True)
    reason = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class FoundConflictIn(Schema):
    account_id = fields.UUID(required=True, metadata={"description": "the member concerned"})
    reason = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=4000),
        metadata={"description": "the tie found (same cooperative, family, business, …)"},
    )


class ConflictOut(Schema):
    evaluation_id = fields.UUID()
    account_id = fields.UUID()
    conflicted = fields.Bool()
    reason = fields.Str(allow_none=True)
    declared_at = fields.DateTime()
    recorded_by = fields.UUID(
        allow_none=True,
        metadata={"description": "who recorded a conflict they found; null for the member's own"},
    )


class DossierDocumentOut(Schema):
    document_id = fields.UUID()
    kind = fields.Str()
    document_version = fields.Int()
    sha256 = fields.Str()
    original_name = fields.Str()


class EvaluationDossierOut(Schema):
    """What a member reads before scoring: the product, Form 02, Form 03 and the documents."""

    dossier_id = fields.UUID()
    product_name = fields.Str()
    product_code = fields.Str()
    product_set_code = fields.Str()
    producer_name = fields.Str()
    registration_type = fields.Str()
    rubric_version = fields.Str()
    self_assessment = fields.Dict(keys=fields.Str(), values=fields.Str())
    commune_review = fields.Nested(CommuneReviewOut, allow_none=True)
    documents = fields.List(fields.Nested(DossierDocumentOut))


Answers = fields.Dict(
    keys=fields.Str(),
    values=fields.Str(),
    required=True,
    metadata={"description": "criterion code → option code (or yes/no), one per criterion"},
)


class SheetIn(Schema):
    answers = Answers
    comment = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=4000))


class SheetReviseIn(SheetIn):
    revision = fields.Int(required=True, metadata={"description": "the revision you read"})


class SheetRevisionOut(Schema):
    revision = fields.Int()
    old_answers = fields.Dict(keys=fields.Str(), values=fields.Str())
    new_answers = fields.Dict(keys=fields.Str(), values=fields.Str())
    old_total = fields.Float()
    new_total = fields.Float()
    old_comment = fields.Str(allow_none=True)
    new_comment = fields.Str(allow_none=True)
    revised_at = fields.DateTime()


class SheetOut(Schema):
    id = fields.UUID()
    evaluation_id = fields.UUID()
    account_id = fields.UUID()
    revision = fields.Int()
    answers = fields.Dict(keys=fields.Str(), values=fields.Str())
    comment = fields.Str(allow_none=True)
    part_points = fields.Dict(keys=fields.Str(), values=fields.Float())
    total = fields.Float()
    document_hashes = fields.Dict(
        keys=fields.Str(),
        values=fields.Str(),
        metadata={"description": "document id → SHA-256 of the version the member had"},
    )
    submitted_at = fields.DateTime()
    updated_at = fields.DateTime()
    set_aside = fields.Bool(
        metadata={"description": "its author has a conflict of interest on record: not counted"}
    )
    revisions = fields.List(fields.Nested(SheetRevisionOut))


class SheetListArgs(Schema):
    limit = fields.Int(
        load_default=BOUNDED_DEFAULT, validate=validate.Range(min=1, max=BOUNDED_MAX)
    )
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class SheetList(Schema):
    items = fields.List(fields.Nested(SheetOut))
    next = fields.UUID(
        allow_none=True, metadata={"description": "cursor of the next page (null on the last)"}
    )


class FinaliseIn(Schema):
    version = fields.Int(required=True, metadata={"description": "the evaluation version you read"})
    findings = fields.List(
        fields.Int(validate=validate.Range(min=0)),
        load_default=list,
        metadata={
            "description": "knockout or stop findings: indexes into the sheet's rules "
            "(GET /api/v1/rubrics/{version}/sheets/{set_code})"
        },
    )
