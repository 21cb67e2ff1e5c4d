"""Payload schemas of the events the registration service publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events import types
from shared.events.registry import register
from shared.levels import Level

DOSSIER_STATUSES = ("draft", "submitted", "returned", "resubmitted", "accepted", "withdrawn")


class AccountCreated(Schema):
    account_id = types.UUID(required=True)
    email = fields.Email(required=True)
    display_name = fields.Str(required=True)
    language = fields.Str(required=True, validate=validate.OneOf(["vi", "en"]))
    roles = fields.List(fields.Str(), required=True)
    unit = fields.Str(allow_none=True, required=True, metadata={"description": "jurisdiction"})
    councils = fields.List(types.UUID(), load_default=list)
    powers_changed_at = types.AwareDateTime(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "when roles, jurisdiction, councils or the active flag last changed: "
            "tokens issued before are refused (none: not since creation)"
        },
    )


class AccountUpdated(AccountCreated):
    """The account as it now is, whole: consumers replace what they keep, newest event wins."""

    active = fields.Bool(required=True, metadata={"description": "false: may no longer sign in"})


class AccountSignedOut(Schema):
    account_id = types.UUID(required=True)
    token_id = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the signed-out token's jti"},
    )
    expires_at = types.AwareDateTime(
        required=True, metadata={"description": "when the token expires: forget it after"}
    )


class AccountPasswordLinkIssued(Schema):
    """A one-time link to set a password: carries the token itself, the only way it reaches the
    holder's mailbox (the registration service keeps only its hash)."""

    account_id = types.UUID(required=True)
    email = fields.Email(required=True)
    display_name = fields.Str(required=True)
    language = fields.Str(required=True, validate=validate.OneOf(["vi", "en"]))
    purpose = fields.Str(
        required=True,
        validate=validate.OneOf(["reset", "invitation"]),
        metadata={"description": "reset: asked for by email; invitation: a new official's"},
    )
    token = fields.Str(
        required=True,
        validate=validate.Length(min=20, max=100),
        metadata={"description": "the one-time token the link carries"},
    )
    expires_at = types.AwareDateTime(required=True, metadata={"description": "when it lapses"})


class AccountEmailConfirmationIssued(Schema):
    """A one-time link to confirm a self-registered account's email: carries the token itself,
    the only way it reaches the holder's mailbox (the registration service keeps its hash)."""

    account_id = types.UUID(required=True)
    email = fields.Email(required=True)
    display_name = fields.Str(required=True)
    language = fields.Str(required=True, validate=validate.OneOf(["vi", "en"]))
    token = fields.Str(
        required=True,
        validate=validate.Length(min=20, max=100),
        metadata={"description": "the one-time token the link carries"},
    )
    expires_at = types.AwareDateTime(required=True, metadata={"description": "when it lapses"})


class _DossierFacts(Schema):
    """What every dossier event says about the case, so consumers need no lookup."""

    dossier_id = types.UUID(required=True)
    version = fields.Int(required=True)
    from_status = fields.Str(
        allow_none=True, required=True, validate=validate.OneOf(DOSSIER_STATUSES)
    )
    to_status = fields.Str(required=True, validate=validate.OneOf(DOSSIER_STATUSES))
    producer_id = types.UUID(required=True)
    producer_name = fields.Str(required=True)
    owner_account_id = types.UUID(required=True)
    consultant_account_ids = fields.List(types.UUID(), load_default=list)
    product_name = fields.Str(required=True)
    product_set_code = fields.Str(required=True)
    registration_type = fields.Str(required=True)
    rubric_version = fields.Str(required=True)
    regime = fields.Str(required=True)
    unit_tree = fields.Str(required=True)
    province_code = fields.Str(required=True)
    district_code = fields.Str(allow_none=True, required=True)
    commune_code = fields.Str(required=True)
    product_code = fields.Str(allow_none=True, load_default=None)
    reason = fields.Str(allow_none=True, load_default=None)
    certificate_number = fields.Str(
        allow_none=True,
        load_default=None,
        metadata={"description": "the certificate an upgrade or re-evaluation concerns"},
    )
    filed_on = types.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "the day (Vietnam) the dossier was first submitted"},
    )
    late_filing = fields.Bool(
        allow_none=True,
        load_default=None,
        metadata={"description": "a re-evaluation filed after its window closed"},
    )
    handler_account_id = types.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "the commune officer handling the dossier (none: the queue)"},
    )


class DossierSubmitted(_DossierFacts):
    self_assessment = types.StrMap(required=True)
    samples_count = fields.Int(required=True)


class MissingItem(Schema):
    item = fields.Str(required=True)
    note = fields.Str(allow_none=True, load_default=None)


class DossierReturned(_DossierFacts):
    missing_items = fields.List(fields.Nested(MissingItem), required=True)


class DossierResubmitted(DossierSubmitted):
    pass


class DossierAccepted(DossierSubmitted):
    form01 = fields.Dict(required=True)


class DossierWithdrawn(_DossierFacts):
    pass


class DossierAssigned(_DossierFacts):
    previous_handler_account_id = types.UUID(allow_none=True, load_default=None)


class DocumentAdded(_DossierFacts):
    document_id = types.UUID(required=True)
    kind = fields.Str(required=True)
    document_version = fields.Int(required=True)
    sha256 = fields.Str(required=True, validate=validate.Regexp(r"^[0-9a-f]{64}$"))
    size = fields.Int(required=True)
    content_type = fields.Str(required=True)
    original_name = fields.Str(required=True)


class ConsultantGranted(Schema):
    producer_id = types.UUID(required=True)
    consultant_account_id = types.UUID(required=True)
    granted = fields.Bool(required=True)


class CertificateImported(Schema):
    """A certificate issued before this platform, imported from an operator's file: the product,
    its producer and the certificate as the file states them, with where it came from."""

    dossier_id = types.UUID(required=True, metadata={"description": "the imported dossier"})
    producer_id = types.UUID(required=True)
    producer_name = fields.Str(required=True)
    owner_account_id = types.UUID(required=True)
    consultant_account_ids = fields.List(types.UUID(), load_default=list)
    product_name = fields.Str(required=True)
    product_set_code = fields.Str(required=True)
    product_code = fields.Str(required=True)
    regime = fields.Str(required=True)
    unit_tree = fields.Str(required=True)
    province_code = fields.Str(required=True)
    district_code = fields.Str(allow_none=True, required=True)
    commune_code = fields.Str(required=True)
    level = Level(required=True, metadata={"description": "the level that recognised it"})
    number = fields.Str(required=True, metadata={"description": "the original number"})
    star_rank = fields.Int(required=True, validate=validate.Range(min=3, max=5))
    authority_unit = fields.Str(required=True)
    decision_number = fields.Str(required=True)
    decided_on = types.Date(required=True)
    issued_on = types.Date(required=True)
    expires_on = types.Date(required=True)
    status = fields.Str(required=True, validate=validate.OneOf(("valid", "expired", "revoked")))
    revoked_on = types.Date(allow_none=True, load_default=None)
    source_file = fields.Str(required=True, metadata={"description": "the file's name"})
    source_sha256 = fields.Str(required=True, metadata={"description": "the file's SHA-256"})
    source_row = fields.Int(required=True, metadata={"description": "the row in the file"})


class CalendarNotice(Schema):
    """A year's government notice of days off, whole (shared.calendar, ADR 0010)."""

    year = fields.Int(required=True, validate=validate.Range(min=2000, max=2100))
    reference = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=500),
        metadata={"description": "the notice's number and date"},
    )
    days_off = fields.List(
        types.Date(),
        required=True,
        metadata={"description": "days off besides the public holidays"},
    )
    working_days = fields.List(
        types.Date(),
        required=True,
        metadata={"description": "weekend days (or holidays) declared working days"},
    )


class UnitMapLoaded(Schema):
    """One pre-2025 province's part of the merger's map, whole (shared.unit_map): the 2025
    commune each of its communes merged into. Every province of the old tree is told at each
    load, with no successors when the map has none for it any more."""

    province_code = fields.Str(
        required=True,
        validate=validate.Regexp(r"^[0-9]{2}$"),
        metadata={"description": "the pre-2025 province"},
    )
    successors = fields.List(
        fields.List(fields.Str(), validate=validate.Length(equal=3)),
        required=True,
        metadata={
            "description": "[old commune, new province, new commune] per pre-2025 commune of "
            "the province"
        },
    )


_P = "registration"
register("account.created", AccountCreated, producer=_P, description="An account was created.")
register(
    "account.updated",
    AccountUpdated,
    producer=_P,
    description="An account's name, language, roles, jurisdiction or active flag changed.",
)
register(
    "account.signed_out",
    AccountSignedOut,
    producer=_P,
    description="Someone signed out: the token they signed out with is refused from now on.",
)
register(
    "account.password_link_issued",
    AccountPasswordLinkIssued,
    producer=_P,
    description="A one-time link to set a password was issued (a reset or an invitation): "
    "a newer one replaces the older.",
)
register(
    "account.email_confirmation_issued",
    AccountEmailConfirmationIssued,
    producer=_P,
    description="A self-registered account was sent a one-time link to confirm its email "
    "(on registering, or asked for again): a newer one replaces the older.",
)
register(
    "consultant.access_changed",
    ConsultantGranted,
    producer=_P,
    description="A producer granted or revoked a consultant's access to its dossiers.",
)
register(
    "dossier.submitted",
    DossierSubmitted,
    producer=_P,
    description="The applicant submitted a draft dossier to its commune.",
)
register(
    "dossier.returned",
    DossierReturned,
    producer=_P,
    description="The commune returned the dossier for supplement, listing what is missing.",
)
register(
    "dossier.resubmitted",
    DossierResubmitted,
    producer=_P,
    description="The applicant resubmitted a returned dossier.",
)
register(
    "dossier.accepted",
    DossierAccepted,
    producer=_P,
    description="The commune accepted the dossier; it is handed to evaluation with its product "
    "code.",
)
register(
    "dossier.withdrawn",
    DossierWithdrawn,
    producer=_P,
    description="The applicant withdrew the dossier before a decision.",
)
register(
    "dossier.assigned",
    DossierAssigned,
    producer=_P,
    description="A commune officer took the dossier from the commune's queue, or was assigned "
    "it: from now on they handle it.",
)
register(
    "dossier.document_added",
    DocumentAdded,
    producer=_P,
    description="A document (or a new version of one) was uploaded to the dossier.",
)
register(
    "calendar.notice_loaded",
    CalendarNotice,
    producer=_P,
    description="An operator loaded a year's notice of days off and working days; it replaces "
    "any earlier notice of that year in every service that counts working days.",
)
register(
    "certificate.imported",
    CertificateImported,
    producer=_P,
    description="An operator imported a certificate issued before this platform (one per row "
    "of the file); evaluation keeps it like one it issued, so re-evaluation, expiry and "
    "revocation work on it.",
)
register(
    "units.map_loaded",
    UnitMapLoaded,
    producer=_P,
    description="An operator loaded the map of the 2025 merger (one event per pre-2025 "
    "province): a 2025 unit's jurisdiction holds the pre-2025 records of the communes merged "
    "into it.",
)
