"""A dossier's documents and their versions."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from services.registration.domain.uploads import KINDS
from services.registration.schemas.paging import NEXT

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


class DocumentPage(Schema):
    items = fields.List(fields.Nested(DocumentOut))
    next = fields.Str(allow_none=True, metadata=NEXT)
