"""The programme dashboard: counts by star rank, level and stage, unit, product set and round;
the funnel of cases through the levels; deadlines breached today; each council's distribution
of sheet totals (the evaluation service's statistics within the person's reach). Charts are
server-drawn SVG beside the numbers they show; each table exports as CSV, all of them as one
XLSX workbook."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, Response, abort, render_template
from openpyxl import Workbook
from openpyxl.styles import Font

from services.portal import signin, units
from services.portal.i18n import label, translate
from services.portal.views.common import api, call
from shared.calendar import today
from shared.spreadsheet import neutralise

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")

OFFICIALS = ("commune_officer", "secretariat", "decision_authority", "auditor", "admin")
COUNTS = ("star_rank", "level_stage", "product_set", "province", "district", "round")
GROUPINGS = (*COUNTS, "funnel", "deadlines", "council_scores", "council_bands")
# The columns of each grouping in reading order (the API's JSON objects come sorted by name).
COLUMNS = {
    "star_rank": ("star_rank", "count"),
    "level_stage": ("level", "stage", "count"),
    "product_set": ("product_set_code", "count"),
    "province": ("unit_tree", "province_code", "count"),
    "district": ("unit_tree", "province_code", "district_code", "count"),
    "round": ("round", "level", "count"),
    "funnel": ("regime", "level", "reached", "at_level", "recognised"),
    "deadlines": ("deadline", "level", "count"),
    "council_scores": ("council_id", "council", "level", "sheets", "lowest", "mean", "highest"),
    "council_bands": ("council_id", "council", "band", "sheets"),
}
DEADLINES = ("decision", "round")
BANDS = tuple(range(0, 100, 10))
# Values shown with their label in the current language (codes stay in the CSV files).
LABELLED = {"level": "level", "stage": "stage", "deadline": "deadline", "regime": "regime"}


def _table(grouping: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    columns = [c for c in COLUMNS[grouping] if c != "count"]
    return {
        "grouping": grouping,
        "columns": columns,
        "rows": rows,
        "total": sum(r["count"] for r in rows),
        "max": max((r["count"] for r in rows), default=0),
    }


def _funnels(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One funnel per regime, each level's share of the cases that entered at the bottom."""
    funnels: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        funnels.setdefault(row["regime"], []).append(row)
    out = []
    for regime, levels in funnels.items():
        entered = levels[0]["reached"] if levels else 0
        for row in levels:
            row["share"] = round(100 * row["reached"] / entered) if entered else 0
        out.append({"regime": regime, "levels": levels, "entered": entered})
    return out


def _deadlines(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "deadline": name,
            "total": sum(r["count"] for r in rows if r["deadline"] == name),
            "levels": [r for r in rows if r["deadline"] == name],
        }
        for name in DEADLINES
    ]


def _councils(scores: list[dict[str, Any]], bands: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each council's summary with its ten bands (zeros included) for the histogram."""
    by_council: dict[str, dict[int, int]] = {}
    for row in bands:
        by_council.setdefault(row["council_id"], {})[row["band"]] = row["sheets"]
    out = []
    for row in scores:
        counts = by_council.get(row["council_id"], {})
        histogram = [{"band": b, "sheets": counts.get(b, 0)} for b in BANDS]
        out.append({**row, "bands": histogram, "peak": max(h["sheets"] for h in histogram)})
    return out


def _rows(grouping: str, summary: dict[str, Any]) -> list[dict[str, Any]]:
    """A grouping's rows; by district, only the cases that have one (not the 2025 tree's)."""
    rows = summary.get(grouping) or []
    if grouping == "district":
        rows = [row for row in rows if row.get("district_code")]
    return rows


def _shown(grouping: str, summary: dict[str, Any]) -> bool:
    """The districts' table only where the regime's tree has districts, or cases filed under
    the four-level regime still count in it."""
    return grouping != "district" or bool(_rows(grouping, summary)) or units.has_districts()


@bp.get("/")
@signin.required(*OFFICIALS)
def index() -> Any:
    summary = call("evaluation", "GET", "/statistics")
    return render_template(
        "dashboard/index.html",
        tables=[_table(g, _rows(g, summary)) for g in COUNTS if _shown(g, summary)],
        funnels=_funnels(summary.get("funnel") or []),
        deadlines=_deadlines(summary.get("deadlines") or []),
        councils=_councils(summary.get("council_scores") or [], summary.get("council_bands") or []),
    )


@bp.get("/export/<grouping>.csv")
@signin.required(*OFFICIALS)
def export(grouping: str) -> Any:
    if grouping not in GROUPINGS:
        abort(404)
    got = api().download(
        "evaluation", f"/statistics/export.csv?group_by={grouping}", token=signin.token()
    )
    resp = Response(got.content, mimetype="text/csv")
    resp.headers["Content-Disposition"] = (
        got.disposition or f'attachment; filename="{grouping}.csv"'
    )
    return resp


def _heading(column: str) -> str:
    key = f"column.{column}"
    text = translate(key)
    return column if text == key else text


def _cell(column: str, value: Any) -> Any:
    """A cell's value: a code by its label, text that would run as a formula neutralised."""
    if column in LABELLED and isinstance(value, str):
        value = label(LABELLED[column], value)
    return neutralise(value)


def workbook(summary: dict[str, list[dict[str, Any]]]) -> bytes:
    """Every grouping of the statistics as one sheet of a workbook, headed in the current
    language, numbers as numbers."""
    book = Workbook()
    blank = book.active
    assert blank is not None, "a new workbook opens with one blank sheet"
    book.remove(blank)
    for grouping in GROUPINGS:
        rows = summary.get(grouping) or []
        sheet = book.create_sheet(translate(f"dashboard.{grouping}")[:31])
        columns = COLUMNS[grouping]
        sheet.append([_heading(c) for c in columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append([_cell(c, row.get(c)) for c in columns])
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            width = max([len(str(_heading(column)))] + [len(str(r.get(column))) for r in rows])
            sheet.column_dimensions[sheet.cell(1, index).column_letter].width = min(width + 2, 60)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@bp.get("/export.xlsx")
@signin.required(*OFFICIALS)
def export_xlsx() -> Any:
    content = workbook(call("evaluation", "GET", "/statistics"))
    stamp = today().isoformat()
    resp = Response(
        content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    resp.headers["Content-Disposition"] = f'attachment; filename="ocop-statistics-{stamp}.xlsx"'
    return resp
