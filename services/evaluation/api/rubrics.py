"""The scoring sheets (Decision 26/2026 Appendix II), as the councils and the portal read them."""

from __future__ import annotations

import dataclasses
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields

from shared.errors import NotFound
from shared.rubrics import RubricError, load_rubric
from shared.web import document_errors, public

blp = Blueprint("rubrics", __name__, url_prefix="/api/v1", description="Scoring sheets")


class RubricSheetOut(Schema):
    rubric_version = fields.Str()
    set_code = fields.Str()
    name = fields.Str()
    name_en = fields.Str()
    requires_5_samples = fields.Bool()
    parts = fields.List(fields.Dict())
    rules = fields.List(
        fields.Dict(),
        metadata={"description": "knockout and stop rules; a finding names one by its index"},
    )
    star_legend = fields.Str(allow_none=True)


@blp.route("/rubrics/<string(maxlength=20):version>/sheets/<string(length=2):set_code>")
@public(blp)
@blp.response(200, RubricSheetOut)
@document_errors(blp, 401, 404)
def sheet(version: str, set_code: str) -> Any:
    """One product set's score sheet: parts, groups, criteria, options with points and star
    marks, and the rules (indexed, for findings)"""
    try:
        found = load_rubric(version).sheet(set_code)
    except (RubricError, KeyError, ValueError) as exc:
        raise NotFound("rubric.sheet_not_found", set_code=set_code) from exc
    data = dataclasses.asdict(found)
    data["rules"] = [{"index": i, **rule} for i, rule in enumerate(data["rules"])]
    return data
