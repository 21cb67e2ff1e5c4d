"""Payload schemas of the events the evaluation service publishes."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from shared.events import types
from shared.events.registry import register
from shared.levels import Level


class _CaseFacts(Schema):
    """What every event about a case says of it, so consumers (notification, the case file)
    need no lookup."""

    dossier_id = types.UUID(required=True)
    product_name = fields.Str(required=True)
    product_code = fields.Str(required=True)
    product_set_code = fields.Str(required=True)
    producer_name = fields.Str(required=True)
    owner_account_id = types.UUID(required=True)
    consultant_account_ids = fields.List(types.UUID(), load_default=list)
    regime = fields.Str(required=True)
    unit_tree = fields.Str(required=True)
    province_code = fields.Str(required=True)
    district_code = fields.Str(allow_none=True, required=True)
    commune_code = fields.Str(required=True)
    level = Level(required=True)


class Result(Schema):
    """A council's result: raw means (rounded only for display by clients)."""

    parts = fields.Dict(keys=fields.Str(), values=fields.Float(), required=True)
    total = fields.Float(required=True)
    band = fields.Int(required=True)
    marks_met_level = fields.Int(required=True)
    star_rank = fields.Int(required=True)
    members = fields.Int(required=True)
    findings = fields.List(fields.Str(), load_default=list)


class CommuneReport(Schema):
    """The commune's report (Mẫu 03), carried by the event that follows it."""

    local_criteria = fields.Dict(required=True)
    proposal = fields.Str(required=True, validate=validate.OneOf(["propose", "return", "reject"]))
    reasons = fields.Str(allow_none=True, load_default=None)


class _EvaluationFacts(_CaseFacts):
    evaluation_id = types.UUID(allow_none=True, required=True)
    council_id = types.UUID(allow_none=True, required=True)
    council_member_ids = fields.List(types.UUID(), load_default=list)
    chair_id = types.UUID(allow_none=True, load_default=None)
    secretary_id = types.UUID(allow_none=True, load_default=None)


class EvaluationOpened(_EvaluationFacts):
    handler_account_id = types.UUID(
        allow_none=True,
        load_default=None,
        metadata={"description": "the commune review's: the officer handling the dossier"},
    )
    round_id = types.UUID(allow_none=True, load_default=None)
    round_closes_on = types.Date(allow_none=True, load_default=None)


class ConflictDeclared(_EvaluationFacts):
    account_id = types.UUID(required=True, metadata={"description": "the member concerned"})
    conflicted = fields.Bool(required=True)
    reason = fields.Str(allow_none=True, load_default=None)
    recorded_by = types.UUID(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "the secretariat official or chair who recorded a conflict they "
            "found; null when the member declared it"
        },
    )
    sheet_set_aside = fields.Bool(
        load_default=False,
        metadata={"description": "the member's sheet, handed in before, no longer counts"},
    )


class SheetSubmitted(_EvaluationFacts):
    account_id = types.UUID(required=True)
    sheet_id = types.UUID(required=True)
    revision = fields.Int(required=True)
    answers = types.StrMap(required=True)
    part_points = fields.Dict(keys=fields.Str(), values=fields.Float(), required=True)
    total = fields.Float(required=True)
    comment = fields.Str(allow_none=True, load_default=None)
    document_hashes = types.StrMap(required=True)


class SheetRevised(SheetSubmitted):
    old_answers = types.StrMap(required=True)
    old_total = fields.Float(required=True)
    old_comment = fields.Str(allow_none=True, load_default=None)


class RescoreRequested(_EvaluationFacts):
    spread = fields.Float(required=True)
    max_spread = fields.Float(required=True)


class Decided(_EvaluationFacts):
    outcome = fields.Str(
        required=True,
        validate=validate.OneOf(["recognised", "not_recognised", "returned", "rejected"]),
    )
    star_rank = fields.Int(allow_none=True, load_default=None)
    result = fields.Nested(Result, allow_none=True, load_default=None)
    reason = fields.Str(allow_none=True, load_default=None)
    # Absent from decisions that carry none (a recognition, the commune's return or rejection).
    reason_code = fields.Str(
        allow_none=True,
        validate=validate.OneOf(["below_three_stars", "knocked_out", "rank_not_higher"]),
        metadata={
            "description": "why a council's result was not recognised: below 3★, a knockout "
            "or stop finding, or an upgrade's rank not above the certificate it names"
        },
    )
    certificate_number = fields.Str(
        allow_none=True,
        metadata={"description": "rank_not_higher: the upgraded certificate, which stands"},
    )
    certificate_star_rank = fields.Int(
        allow_none=True,
        metadata={"description": "rank_not_higher: that certificate's rank"},
    )
    decision_number = fields.Str(allow_none=True, load_default=None)
    commune_report = fields.Nested(CommuneReport, allow_none=True, load_default=None)


class AwaitingDecision(_EvaluationFacts):
    star_rank = fields.Int(required=True, metadata={"description": "the rank to recognise"})
    result = fields.Nested(Result, required=True)


class Moved(_EvaluationFacts):
    """Forwarded up or handed back down: from ``level`` to ``to_level``."""

    to_level = Level(required=True)
    star_rank = fields.Int(allow_none=True, load_default=None)
    result = fields.Nested(Result, allow_none=True, load_default=None)
    reason = fields.Str(allow_none=True, load_default=None)
    commune_report = fields.Nested(CommuneReport, allow_none=True, load_default=None)


class CertificateFacts(_CaseFacts):
    number = fields.Str(required=True)
    star_rank = fields.Int(required=True, validate=validate.Range(min=3, max=5))
    authority_unit = fields.Str(required=True)
    decision_number = fields.Str(required=True)
    issued_on = types.Date(required=True)
    expires_on = types.Date(required=True)


class CertificateIssued(CertificateFacts):
    replaces = fields.Str(
        allow_none=True,
        load_default=None,
        metadata={"description": "the certificate an upgrade or re-evaluation superseded"},
    )


class CertificateRevoked(CertificateFacts):
    ground = fields.Str(required=True)
    revoked_on = types.Date(required=True)
    note = fields.Str(allow_none=True, load_default=None)
    found_on = types.Date(
        allow_none=True,
        load_default=None,
        metadata={"description": "the day the ground was found (null in older payloads)"},
    )
    late = fields.Bool(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "revoked after Art. 8's 15 days from found_on (allowed; recorded)"
        },
    )


class CertificateExpiring(CertificateFacts):
    window_opens_on = types.Date(required=True)
    window_closes_on = types.Date(required=True)


class DeadlineEvent(_CaseFacts):
    deadline = fields.Str(
        required=True,
        validate=validate.OneOf(["round_close", "reevaluation_decision"]),
        metadata={"description": "the round's close, or a re-evaluation's 45-day decision"},
    )
    due_on = types.Date(required=True)
    responsible_unit = fields.Str(allow_none=True, load_default=None)
    council_id = types.UUID(
        allow_none=True,
        load_default=None,
        metadata={
            "description": "the council whose evaluation the deadline concerns (to escalate to "
            "its chair and secretary); null when no council has the case"
        },
    )


class CouncilMembership(Schema):
    council_id = types.UUID(required=True)
    council_name = fields.Str(required=True)
    level = Level(required=True)
    unit = fields.Str(required=True)
    account_id = types.UUID(required=True)
    role = fields.Str(required=True, validate=validate.OneOf(["chair", "secretary", "member"]))


_P = "evaluation"
for name, schema, text in (
    (
        "evaluation.opened",
        EvaluationOpened,
        "A case opened at a level: the commune review, or a council's evaluation in a round.",
    ),
    (
        "evaluation.conflict_declared",
        ConflictDeclared,
        "A council member declared (or denied) a tie to the applicant, or the secretariat or "
        "the chair recorded one it found.",
    ),
    ("evaluation.sheet_submitted", SheetSubmitted, "A member submitted a score sheet."),
    (
        "evaluation.sheet_revised",
        SheetRevised,
        "A member revised a score sheet before the council closed (old and new values).",
    ),
    (
        "evaluation.rescore_requested",
        RescoreRequested,
        "Members' totals differed by more than the council allows: the sheets reopen.",
    ),
    (
        "evaluation.decided",
        Decided,
        "A level decided: recognised (by its authority), not recognised, returned or rejected.",
    ),
    (
        "evaluation.awaiting_decision",
        AwaitingDecision,
        "A council closed with a result its level recognises: the case waits for the level's "
        "authority to decide.",
    ),
    ("evaluation.forwarded", Moved, "The case was proposed to the next level up."),
    (
        "evaluation.handed_back",
        Moved,
        "A higher level's result fell below its authority: back to the level that recognises it.",
    ),
    ("certificate.issued", CertificateIssued, "A recognition certificate was issued."),
    ("certificate.revoked", CertificateRevoked, "A certificate was revoked on one of the grounds."),
    (
        "certificate.expiring",
        CertificateExpiring,
        "A certificate's re-evaluation window opened (or is about to close).",
    ),
    ("certificate.expired", CertificateFacts, "A certificate expired."),
    ("deadline.approaching", DeadlineEvent, "A procedural deadline is near."),
    ("deadline.breached", DeadlineEvent, "A procedural deadline passed without the act."),
    ("council.member_added", CouncilMembership, "An official took a seat on a council."),
    ("council.member_removed", CouncilMembership, "An official left a council."),
):
    register(name, schema, producer=_P, description=text)
