"""Programme statistics and their CSV export."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.evaluation.runtime import current
from services.evaluation.service import statistics
from shared.spreadsheet import neutralise_row
from shared.web import current_principal, document_errors

blp = Blueprint("statistics", __name__, url_prefix="/api/v1", description="Statistics")


class GroupingArgs(Schema):
    group_by = fields.Str(required=True, validate=validate.OneOf(statistics.GROUPINGS))


class Summary(Schema):
    """One list of ``{…grouping columns, count}`` rows per grouping."""

    star_rank = fields.List(fields.Dict())
    level_stage = fields.List(fields.Dict())
    province = fields.List(fields.Dict())
    district = fields.List(fields.Dict())
    product_set = fields.List(fields.Dict())
    round = fields.List(fields.Dict())
    funnel = fields.List(
        fields.Dict(),
        metadata={"description": "per regime and level: reached, at_level, recognised"},
    )
    deadlines = fields.List(
        fields.Dict(),
        metadata={"description": "breached today, by deadline (decision, round) and level"},
    )
    council_scores = fields.List(
        fields.Dict(),
        metadata={"description": "per council: sheets, lowest, mean and highest total"},
    )
    council_bands = fields.List(
        fields.Dict(),
        metadata={"description": "per council: sheets per ten-point band of totals"},
    )


@blp.route("/statistics")
@blp.response(200, Summary)
@document_errors(blp, 401, 403)
def summary() -> Any:
    """Counts, the funnel through the levels, deadlines breached and score spreads in reach"""
    with current().db.reader() as session:
        return statistics.summary(session=session, principal=current_principal())


@blp.route("/statistics/export.csv")
@blp.arguments(GroupingArgs, location="query")
@blp.response(200, {"type": "string"}, content_type="text/csv")
@document_errors(blp, 401, 403, 422)
def export(args: dict[str, Any]) -> Any:
    """One grouping as CSV (UTF-8 with BOM, so spreadsheet programs read Vietnamese right; a
    text cell a spreadsheet would run as a formula starts with ')"""
    with current().db.reader() as session:
        rows = statistics.counts(
            session=session, principal=current_principal(), grouping=args["group_by"]
        )
    out = io.StringIO()
    out.write("\ufeff")
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(neutralise_row(row) for row in rows)
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="ocop-{args["group_by"]}.csv"'
    return response
