"""Dossiers: creation, changes, the workflow's actions and what is read back."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from services.registration.domain.lifecycle import Status
from services.registration.schemas.paging import PageArgs
from shared.names import printable_name

REGISTRATION_TYPES = ["first", "upgrade", "re_evaluation"]


AnswerMap = fields.Dict(keys=fields.Str(), values=fields.Str())


def _certificate_number(**kwargs: Any) -> fields.Str:
    """The certificate an upgrade or re-evaluation concerns; none for a first registration."""
    return fields.Str(
        allow_none=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "required for an upgrade or a re-evaluation (the producer's own "
            "current certificate, e.g. OCOP-45-2026-00017); null for a first registration"
        },
        **kwargs,
    )


class DossierCreateIn(Schema):
    producer_id = fields.UUID(required=True)
    registration_type = fields.Str(required=True, validate=validate.OneOf(REGISTRATION_TYPES))
    product_name = fields.Str(required=True, validate=printable_name(max_length=300))
    product_set_code = fields.Str(required=True, validate=validate.Regexp(r"^\d{2}$"))
    certificate_number = _certificate_number(load_default=None)
    samples_count = fields.Int(load_default=0, validate=validate.Range(min=0, max=100))
    self_assessment = fields.Dict(keys=fields.Str(), values=fields.Str(), load_default=dict)
    commitment = fields.Bool(load_default=False)


class DossierUpdateIn(Schema):
    version = fields.Int(required=True, metadata={"description": "the version you read"})
    registration_type = fields.Str(validate=validate.OneOf(REGISTRATION_TYPES))
    certificate_number = _certificate_number()
    product_name = fields.Str(validate=printable_name(max_length=300))
    samples_count = fields.Int(validate=validate.Range(min=0, max=100))
    self_assessment = fields.Dict(keys=fields.Str(), values=fields.Str())
    commitment = fields.Bool()


class VersionIn(Schema):
    version = fields.Int(required=True, metadata={"description": "the version you read"})


class WithdrawIn(VersionIn):
    reason = fields.Str(load_default=None, validate=validate.Length(max=2000))


class MissingItemSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class AssignIn(VersionIn):
    account_id = fields.UUID(
        load_default=None,
        metadata={"description": "an officer of the dossier's commune; omitted: yourself"},
    )


class ReturnIn(VersionIn):
    missing_items = fields.List(
        fields.Nested(MissingItemSchema), required=True, validate=validate.Length(min=1, max=50)
    )
    reason = fields.Str(load_default=None, validate=validate.Length(max=2000))


class DossierCertificateOut(Schema):
    """The certificate a dossier's recognition issued, as the evaluation service announced it."""

    number = fields.Str()
    star_rank = fields.Int()
    issued_on = fields.Date()
    expires_on = fields.Date()
    status = fields.Str(validate=validate.OneOf(["valid", "expired", "revoked", "superseded"]))
    superseded_by = fields.Str(
        allow_none=True,
        metadata={"description": "the certificate that superseded it (upgrade, re-evaluation)"},
    )


class SelfAssessmentScoreOut(Schema):
    total = fields.Int(metadata={"description": "points out of 100, unanswered criteria 0"})
    parts = fields.Dict(
        keys=fields.Str(), values=fields.Int(), metadata={"description": "{A, B, C}: points"}
    )
    band = fields.Int(metadata={"description": "the star band of the total alone (1–5)"})
    star_rank = fields.Int(
        metadata={"description": "the band capped by the star marks met (1–5), as a council's"}
    )
    holding_back = fields.List(
        fields.Str(), metadata={"description": "criteria whose marks for one star more are unmet"}
    )
    missing = fields.List(fields.Str(), metadata={"description": "criteria not answered yet"})


class DossierOut(Schema):
    id = fields.UUID()
    version = fields.Int()
    status = fields.Str(validate=validate.OneOf([s.value for s in Status]))
    public_status = fields.Str(allow_none=True)
    public_status_key = fields.Str(
        allow_none=True, metadata={"description": "catalogue id of public_status's rule"}
    )
    public_status_params = fields.Dict(
        allow_none=True, metadata={"description": "the values public_status's template uses"}
    )
    producer_id = fields.UUID()
    registration_type = fields.Str()
    product_name = fields.Str()
    product_set_code = fields.Str()
    rubric_version = fields.Str()
    regime = fields.Str()
    unit_tree = fields.Str()
    province_code = fields.Str()
    district_code = fields.Str(allow_none=True)
    commune_code = fields.Str()
    product_code = fields.Str(allow_none=True)
    certificate_number = fields.Str(allow_none=True)
    filed_on = fields.Date(
        allow_none=True, metadata={"description": "first submission, Asia/Ho_Chi_Minh"}
    )
    intake_due_on = fields.Date(
        allow_none=True,
        metadata={
            "description": "the last day for the commune's completeness check: 15 working days "
            "after the last (re)submission, in Vietnam with its public holidays and the yearly "
            "notice of days off; null unless submitted or resubmitted"
        },
    )
    late_filing = fields.Bool(
        allow_none=True,
        metadata={
            "description": "a re-evaluation filed after its window (180–120 days before "
            "expiry) closed; accepted until 180 days after expiry"
        },
    )
    form01 = fields.Dict()
    self_assessment = fields.Dict(keys=fields.Str(), values=fields.Str())
    self_assessment_score = fields.Nested(
        SelfAssessmentScoreOut,
        allow_none=True,
        metadata={
            "description": "the self-assessment scored on the dossier's sheet by the scorer "
            "council sheets use; null if its answers no longer fit the sheet"
        },
    )
    samples_count = fields.Int()
    missing_items = fields.List(fields.Nested(MissingItemSchema))
    handler_account_id = fields.UUID(
        allow_none=True,
        metadata={"description": "the commune officer handling it; none while in the queue"},
    )
    decided_outcome = fields.Str(
        allow_none=True,
        validate=validate.OneOf(["recognised", "not_recognised", "rejected"]),
        metadata={
            "description": "the decision that ended its case at a level; from then on it "
            "cannot be withdrawn"
        },
    )
    certificate = fields.Nested(
        DossierCertificateOut,
        allow_none=True,
        metadata={"description": "the certificate its recognition issued; null before"},
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    allowed_actions = fields.List(fields.Str())


class DossierListArgs(PageArgs):
    status = fields.List(
        fields.Str(validate=validate.OneOf([s.value for s in Status])),
        validate=validate.Length(max=len(Status)),
        metadata={"description": "one status, or several (`status=a&status=b`)"},
    )
    handler = fields.Str(
        validate=validate.OneOf(["me", "none"]),
        metadata={"description": "`me`: the dossiers you handle; `none`: the commune's queue"},
    )
    unit = fields.Str()
    product_set_code = fields.Str(validate=validate.Regexp(r"^\d{2}$"))
    producer_id = fields.UUID()


class DossierPage(Schema):
    items = fields.List(fields.Nested(DossierOut))
    next = fields.UUID(allow_none=True)
