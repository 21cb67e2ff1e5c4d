"""Request and response schemas of the registration API (marshmallow; OpenAPI comes from them).

Request schemas reject unknown fields, so a body carrying ``status``, ``owner`` or
``product_code`` is refused rather than half-applied.
"""

from __future__ import annotations

from typing import Any, Protocol

from marshmallow import Schema, fields, validate

from services.registration.domain.lifecycle import Status
from services.registration.domain.uploads import KINDS
from shared.auth import ROLES
from shared.names import printable_name

LANGUAGES = ["vi", "en"]
REGISTRATION_TYPES = ["first", "upgrade", "re_evaluation"]
ENTITY_TYPES = [
    "cooperative",
    "cooperative_group",
    "enterprise",
    "farm",
    "household_business",
    "association",
]
GENDERS = ["male", "female", "other"]


class RegisterIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, validate=validate.Length(min=10, max=200), load_only=True)
    display_name = fields.Str(required=True, validate=printable_name(max_length=200))
    language = fields.Str(load_default="vi", validate=validate.OneOf(LANGUAGES))
    role = fields.Str(
        load_default="applicant", validate=validate.OneOf(["applicant", "consultant"])
    )


class AccountCreateIn(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    password = fields.Str(
        load_default=None,
        validate=validate.Length(min=10, max=200),
        load_only=True,
        metadata={
            "description": "left out: the official is invited by email to set their own "
            "with a one-time link (valid 7 days)"
        },
    )
    display_name = fields.Str(required=True, validate=printable_name(max_length=200))
    language = fields.Str(load_default="vi", validate=validate.OneOf(LANGUAGES))
    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)), required=True)
    unit = fields.Str(load_default=None, allow_none=True)
    councils = fields.List(fields.Str(), load_default=list)


class AccountOut(Schema):
    id = fields.UUID()
    email = fields.Email()
    display_name = fields.Str()
    language = fields.Str()
    roles = fields.List(fields.Str())
    unit = fields.Str(allow_none=True)
    councils = fields.List(fields.Str())
    active = fields.Bool()
    created_at = fields.DateTime()
    password_set = fields.Method(
        "_password_set",
        metadata={"description": "false: no password yet (invited, or imported)"},
    )

    def _password_set(self, account: Any) -> bool:
        return bool(account.password_hash)


class OwnAccountUpdateIn(Schema):
    """What anyone may change about themselves; a field left out stays as it is."""

    display_name = fields.Str(validate=printable_name(max_length=200))
    language = fields.Str(validate=validate.OneOf(LANGUAGES))


class AccountUpdateIn(OwnAccountUpdateIn):
    """What an administrator may change about an account; a field left out stays as it is."""

    roles = fields.List(fields.Str(validate=validate.OneOf(ROLES)))
    unit = fields.Str(allow_none=True)
    active = fields.Bool()


class AccountListArgs(Schema):
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={
            "description": "words, each beginning a word of the name or the email, in any "
            "order, regardless of case, tones and letter marks (đ is found as d)"
        },
    )
    role = fields.Str(
        validate=validate.OneOf(ROLES), metadata={"description": "only accounts with this role"}
    )
    active = fields.Bool(metadata={"description": "only active (true) or deactivated (false)"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class AccountPage(Schema):
    items = fields.List(fields.Nested(AccountOut))
    next = fields.UUID(allow_none=True, metadata={"description": "cursor of the next page"})


NEW_PASSWORD = validate.Length(min=10, max=200)


class PasswordChangeIn(Schema):
    current_password = fields.Str(required=True, validate=validate.Length(max=200), load_only=True)
    new_password = fields.Str(required=True, validate=NEW_PASSWORD, load_only=True)


class PasswordResetIn(Schema):
    email = fields.Str(required=True, validate=validate.Length(min=1, max=254))


class PasswordLinkIn(Schema):
    # What password_links issues: secrets.token_urlsafe(32), 43 characters of base64url. Text
    # of another shape is no link at all: 422, not "used or expired".
    token = fields.Str(
        required=True, validate=validate.Regexp(r"^[A-Za-z0-9_-]{20,100}$"), load_only=True
    )


class PasswordLinkOut(Schema):
    purpose = fields.Str(metadata={"description": "reset or invitation"})
    email = fields.Str()
    display_name = fields.Str()
    expires_at = fields.DateTime()


class PasswordSetIn(PasswordLinkIn):
    password = fields.Str(required=True, validate=NEW_PASSWORD, load_only=True)


class LoginIn(Schema):
    email = fields.Str(required=True, validate=validate.Length(max=254))
    password = fields.Str(required=True, validate=validate.Length(max=200), load_only=True)


class TokenOut(Schema):
    access_token = fields.Str()
    token_type = fields.Str()
    expires_in = fields.Int()
    account = fields.Nested(AccountOut)


class RepresentativeSchema(Schema):
    name = fields.Str(required=True, validate=printable_name(max_length=200))
    position = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    gender = fields.Str(required=True, validate=validate.OneOf(GENDERS))
    ethnicity = fields.Str(required=True, validate=validate.Length(min=1, max=60))


class RepresentativeOut(Schema):
    """A producer's representative as stored: a producer imported from a register of
    certificates has none yet (``{}``) until its owner fills it in."""

    name = fields.Str()
    position = fields.Str()
    gender = fields.Str(validate=validate.OneOf(GENDERS))
    ethnicity = fields.Str()


class ProducerIn(Schema):
    name = fields.Str(required=True, validate=printable_name(max_length=300))
    entity_type = fields.Str(required=True, validate=validate.OneOf(ENTITY_TYPES))
    representative = fields.Nested(RepresentativeSchema, required=True)
    unit = fields.Str(
        required=True, metadata={"description": "commune, e.g. pre2025:commune:19225"}
    )
    address = fields.Str(required=True, validate=validate.Length(min=1, max=500))
    phone = fields.Str(required=True, validate=validate.Regexp(r"^\+?[0-9 .-]{6,20}$"))
    email = fields.Email(required=True)
    business_registration_no = fields.Str(load_default=None, validate=validate.Length(max=60))


class ProducerOut(Schema):
    id = fields.UUID()
    owner_account_id = fields.UUID()
    name = fields.Str()
    entity_type = fields.Str()
    representative = fields.Nested(RepresentativeOut)
    unit_tree = fields.Str()
    province_code = fields.Str()
    district_code = fields.Str(allow_none=True)
    commune_code = fields.Str()
    address = fields.Str()
    phone = fields.Str()
    email = fields.Str()
    business_registration_no = fields.Str(allow_none=True)
    consultant_account_ids = fields.Method("_consultants")

    def _consultants(self, producer: object) -> list[str]:
        return [str(g.consultant_account_id) for g in getattr(producer, "grants", [])]


class ConsultantGrantIn(Schema):
    email = fields.Email(required=True)
    granted = fields.Bool(load_default=True)


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


class PageArgs(Schema):
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


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


class ProducerPage(Schema):
    items = fields.List(fields.Nested(ProducerOut))
    next = fields.UUID(allow_none=True)


# The most criteria one document may name (a sheet has about 30).
MAX_CRITERIA = 60
_CRITERION = fields.Str(validate=validate.Length(min=1, max=10))
_CRITERIA_HELP = (
    "the Form 02 criteria (codes of the dossier's sheet, e.g. 1.3) the document is evidence "
    "for; an unknown code answers 422 evidence.unknown_criterion"
)


class DocumentUploadForm(Schema):
    kind = fields.Str(required=True, validate=validate.OneOf(KINDS))
    note = fields.Str(load_default=None, validate=validate.Length(max=2000))
    criteria = fields.List(
        _CRITERION,
        validate=validate.Length(max=MAX_CRITERIA),
        metadata={"description": _CRITERIA_HELP + " (repeat the field for each)"},
    )


class DocumentCriteriaIn(Schema):
    criteria = fields.List(
        _CRITERION,
        required=True,
        validate=validate.Length(max=MAX_CRITERIA),
        metadata={"description": _CRITERIA_HELP + "; empty: none in particular"},
    )


class DocumentFile(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class DocumentVersionOut(Schema):
    number = fields.Int()
    original_name = fields.Str()
    content_type = fields.Str()
    size = fields.Int()
    sha256 = fields.Str()
    uploaded_by = fields.UUID()
    uploaded_at = fields.DateTime()
    note = fields.Str(allow_none=True)
    download_url = fields.Str()


class DocumentOut(Schema):
    id = fields.UUID()
    kind = fields.Str()
    latest_version = fields.Int()
    criteria = fields.List(
        fields.Str(), metadata={"description": "the Form 02 criteria it is evidence for"}
    )
    versions = fields.List(fields.Nested(DocumentVersionOut))


class _Unit(Protocol):
    """What ``UnitOut`` reads of a unit for its reference."""

    tree: str
    level: str
    code: str


class UnitOut(Schema):
    tree = fields.Str()
    level = fields.Str()
    code = fields.Str()
    name = fields.Str()
    parent_code = fields.Str(allow_none=True)
    ref = fields.Method("_ref")

    def _ref(self, unit: _Unit) -> str:
        return f"{unit.tree}:{unit.level}:{unit.code}"


class UnitArgs(Schema):
    tree = fields.Str(
        validate=validate.Length(min=1, max=16),
        metadata={
            "description": "the tree (2025, or pre2025 with districts); default: the parent's, "
            "else the tree of the deployment's regime (OCOP_REGIME)"
        },
    )
    parent = fields.Str(
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "the parent unit as tree:level:code (e.g. pre2025:province:45), like "
            "every unit reference; its children are listed"
        },
    )
    level = fields.Str(
        validate=validate.OneOf(["province", "district", "commune"]),
        metadata={
            "description": "the units of this level (default province), or only the parent's "
            "children of this level; a level the tree lacks is an empty list"
        },
    )


class ProductSetOut(Schema):
    set_code = fields.Str()
    name = fields.Str()
    name_en = fields.Str()
    requires_5_samples = fields.Bool()
