"""Marshmallow schemas of the case-file endpoints."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events.registry import EVENT_TYPES

KINDS = sorted([*EVENT_TYPES, "case_file.read"])


class HistoryArgs(Schema):
    kind = fields.List(
        fields.Str(validate=validate.OneOf(KINDS)),
        metadata={"description": "only these kinds (repeat the parameter for several)"},
    )
    since = fields.AwareDateTime(metadata={"description": "occurred at or after (ISO-8601)"})
    until = fields.AwareDateTime(metadata={"description": "occurred before (ISO-8601)"})
    limit = fields.Int(load_default=50, validate=validate.Range(min=1, max=200))
    after = fields.Int(
        validate=validate.Range(min=0),
        metadata={"description": "cursor: the `next` of the previous page"},
    )


class ActorOut(Schema):
    user_id = fields.Str(allow_none=True)
    role = fields.Str(allow_none=True)
    name = fields.Str(allow_none=True)


class EntryOut(Schema):
    n = fields.Int(metadata={"description": "position in the case file"})
    seq = fields.Int(metadata={"description": "position in the whole ledger"})
    kind = fields.Str()
    occurred_at = fields.Str()
    recorded_at = fields.Str()
    producer = fields.Str()
    actor = fields.Nested(ActorOut)
    event_id = fields.Str()
    correlation_id = fields.Str(allow_none=True)
    payload = fields.Dict()
    hash = fields.Str(metadata={"description": "the entry's case-chain SHA-256 (hex)"})


class HistoryPage(Schema):
    items = fields.List(fields.Nested(EntryOut))
    next = fields.Int(allow_none=True)


class CheckpointOut(Schema):
    number = fields.Int()
    seq = fields.Int()
    head = fields.Str()
    signed_at = fields.Str()


class VerificationOut(Schema):
    dossier_id = fields.Str(allow_none=True)
    valid = fields.Bool()
    covered = fields.Bool()
    entries = fields.Int()
    problem = fields.Str(allow_none=True)
    seq = fields.Int(allow_none=True)
    n = fields.Int(allow_none=True)
    kind = fields.Str(allow_none=True)
    checkpoint = fields.Nested(CheckpointOut, allow_none=True)
    key_fingerprint = fields.Str(allow_none=True)
    notes = fields.List(fields.Str())


class ReportArgs(Schema):
    format = fields.Str(load_default="html", validate=validate.OneOf(["html", "pdf"]))
    lang = fields.Str(load_default="vi", validate=validate.OneOf(["vi", "en"]))


class LedgerKeyOut(Schema):
    kid = fields.Str()
    alg = fields.Str()
    public_key_pem = fields.Str()
    fingerprint = fields.Str()


class LedgerKeys(Schema):
    keys = fields.List(fields.Nested(LedgerKeyOut))
