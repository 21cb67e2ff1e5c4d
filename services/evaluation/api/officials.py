"""The officials a secretariat may seat on its councils."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.evaluation.runtime import current
from services.evaluation.service import officials as official_service
from shared.auth import OFFICIAL_ROLES
from shared.web import current_principal, document_errors

blp = Blueprint("officials", __name__, url_prefix="/api/v1", description="Officials")


class OfficialListArgs(Schema):
    role = fields.Str(
        validate=validate.OneOf(OFFICIAL_ROLES),
        metadata={"description": "only officials holding this role"},
    )
    q = fields.Str(
        validate=validate.Length(max=200),
        metadata={
            "description": "words, each beginning a word of the name, the email, the unit's "
            "reference or the name of the unit or of a unit above it, in any order, regardless "
            "of case, tones and letter marks (đ is found as d)"
        },
    )
    limit = fields.Int(
        load_default=50, validate=validate.Range(min=1, max=official_service.MAX_LIMIT)
    )
    after = fields.UUID(metadata={"description": "cursor: the `next` of the previous page"})


class OfficialOut(Schema):
    account_id = fields.UUID()
    display_name = fields.Str()
    email = fields.Str()
    roles = fields.List(fields.Str())
    unit = fields.Str(allow_none=True)


class OfficialList(Schema):
    items = fields.List(fields.Nested(OfficialOut))
    next = fields.UUID(allow_none=True, metadata={"description": "cursor of the next page"})


@blp.route("/officials")
@blp.arguments(OfficialListArgs, location="query")
@blp.response(200, OfficialList)
@document_errors(blp, 401, 403, 422)
def officials(args: dict[str, Any]) -> Any:
    """Active officials within your jurisdiction, to seat on councils (secretariat, admin); a
    commune officer lists the officers of its own commune (to hand a dossier on). In Vietnamese
    alphabetical order of their names (a ă â … d đ …, tones after their letter)"""
    with current().db.reader() as session:
        items, cursor = official_service.list_(
            session=session,
            principal=current_principal(),
            role=args.get("role"),
            q=args.get("q"),
            limit=args["limit"],
            after=args.get("after"),
        )
        return {"items": items, "next": cursor}
