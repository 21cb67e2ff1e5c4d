"""Request and response schemas of decisions and certificates (marshmallow; OpenAPI from them).

Request schemas reject unknown fields (marshmallow's default), so a body carrying ``status``,
``star_rank`` or ``certificate_number`` is refused rather than half-applied.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.evaluation.domain.revocation import RevocationGround
from services.evaluation.service.certificates import STATUSES
from shared.paging import BOUNDED_DEFAULT, BOUNDED_MAX

GROUNDS = [ground.value for ground in RevocationGround]


class DecisionIn(Schema):
    decision_number = fields.Str(
        required=True,
        validate=validate.Length(min=1, max=60),
        metadata={"description": "the number of the signed decision, e.g. 1234/QĐ-UBND"},
    )
    decided_on = fields.Date(
        required=True,
        metadata={"description": "date of signature; not in the future, not before the close"},
    )
    version = fields.Int(required=True, metadata={"description": "the case version you read"})


class PublicCertificateOut(Schema):
    """What anyone may read about a certificate number (a label check): no ids of people."""

    number = fields.Str()
    product_name = fields.Str()
    product_code = fields.Str()
    producer_name = fields.Str()
    star_rank = fields.Int()
    level = fields.Str(metadata={"description": "the level whose authority recognised it"})
    authority_unit = fields.Str(metadata={"description": "tree:level:code, or national"})
    decision_number = fields.Str()
    issued_on = fields.Date()
    expires_on = fields.Date()
    status = fields.Str(
        validate=validate.OneOf(STATUSES),
        metadata={"description": "as of today in Asia/Ho_Chi_Minh"},
    )
    superseded_by = fields.Str(
        allow_none=True, metadata={"description": "the certificate that replaced it"}
    )
    revoked_on = fields.Date(allow_none=True, metadata={"description": "the day it was revoked"})
    revocation_ground = fields.Str(
        allow_none=True,
        validate=validate.OneOf(GROUNDS),
        metadata={"description": "the ground it was revoked on (the note stays private)"},
    )
    imported = fields.Bool(
        metadata={
            "description": "issued before this platform and imported from an operator's file "
            "(its original number, decision and dates; no evaluation here behind it)"
        }
    )


class CertificateOut(PublicCertificateOut):
    """A certificate as officials in reach and the producer's side see it."""

    dossier_id = fields.UUID()
    decided_on = fields.Date()
    decided_by_name = fields.Str(
        allow_none=True,
        metadata={
            "description": "the name of the authority who signed the recognition decision, "
            "as printed under the signature (null if the service does not know the account)"
        },
    )
    revocation_note = fields.Str(allow_none=True)
    revocation_found_on = fields.Date(
        allow_none=True, metadata={"description": "the day the revocation's ground was found"}
    )
    revocation_late = fields.Bool(
        allow_none=True,
        metadata={"description": "revoked more than 15 days after the ground was found"},
    )


class CertificateListArgs(Schema):
    dossier_id = fields.UUID(required=True)
    limit = fields.Int(
        load_default=BOUNDED_DEFAULT, validate=validate.Range(min=1, max=BOUNDED_MAX)
    )
    after = fields.Str(
        validate=validate.Length(min=1, max=100),
        metadata={"description": "cursor: the `next` of the previous page"},
    )


class CertificateList(Schema):
    items = fields.List(fields.Nested(CertificateOut))
    next = fields.Str(
        allow_none=True, metadata={"description": "cursor of the next page (null on the last)"}
    )


class DecisionOut(Schema):
    dossier_id = fields.UUID()
    version = fields.Int(metadata={"description": "the case's version after the decision"})
    stage = fields.Str()
    decision_number = fields.Str()
    decided_on = fields.Date()
    certificate = fields.Nested(CertificateOut)


class RevocationIn(Schema):
    ground = fields.Str(required=True, validate=validate.OneOf(GROUNDS))
    found_on = fields.Date(
        required=True, metadata={"description": "date of the finding; the 15 days run from it"}
    )
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class RevocationOut(CertificateOut):
    due_on = fields.Date(metadata={"description": "last day to revoke on time (found_on + 15)"})
    late = fields.Bool(
        metadata={"description": "true when revoked after due_on (allowed; recorded as late)"}
    )
