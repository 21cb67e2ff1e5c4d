"""PDF documents the portal hands out: the OCOP certificate (with the QR code a label carries,
linking to the public check of its number) and the council minutes (biên bản họp hội đồng).

Drawn with fpdf2 in the current language. Vietnamese needs a font with its glyphs: the DejaVu
Sans files the registration service's case-file report already ships are reused from there
(read as files, not imported), rather than a second copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from services.portal.i18n import label, set_name, translate

FONTS = Path(__file__).resolve().parents[1] / "registration" / "ledger" / "fonts"
BRAND = (11, 93, 30)
GOLD = (138, 97, 0)


def _document(title: str, orientation: str = "P") -> FPDF:
    doc = FPDF(orientation=orientation, format="A4")
    doc.set_auto_page_break(auto=True, margin=15)
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_title(title)
    doc.set_creator("OCOP portal")
    doc.set_lang("vi")
    doc.add_page()
    return doc


def _line(doc: FPDF, text: str, size: float = 11, bold: bool = False, align: str = "L") -> None:
    doc.set_font("DejaVu", "B" if bold else "", size)
    doc.multi_cell(0, size * 0.55, text, align=align, new_x="LMARGIN", new_y="NEXT")


def _facts(doc: FPDF, rows: list[tuple[str, str]], key_width: float = 55) -> None:
    for key, value in rows:
        doc.set_font("DejaVu", "B", 11)
        doc.cell(key_width, 7, key)
        doc.set_font("DejaVu", "", 11)
        doc.multi_cell(0, 7, value or "—", new_x="LMARGIN", new_y="NEXT")


def _qr(doc: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any print size), linked to ``data``."""
    code = segno.make(data, error="m")
    matrix = [list(row) for row in code.matrix]
    modules = len(matrix) + 8  # with the quiet zone of four modules each side
    cell = size / modules
    doc.set_fill_color(255, 255, 255)
    doc.rect(x, y, size, size, style="F")
    doc.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        for col_index, dark in enumerate(row):
            if dark:
                doc.rect(x + (col_index + 4) * cell, y + (row_index + 4) * cell, cell, cell, "F")
    doc.link(x, y, size, size, data)


def certificate(cert: dict[str, Any], check_url: str) -> bytes:
    """One A4 page: issuer, title, stars, product, the facts, the QR code and its link."""
    number = cert["number"]
    doc = _document(f"{translate('certificate.heading')} {number}")
    doc.set_draw_color(*BRAND)
    doc.set_line_width(1.2)
    doc.rect(10, 10, 190, 277)
    doc.set_line_width(0.4)
    doc.rect(13, 13, 184, 271)
    doc.set_y(24)
    issuer = translate("certificate.issuer", level=label("level", cert.get("level")))
    _line(doc, issuer, 12, align="C")
    doc.ln(4)
    doc.set_text_color(*BRAND)
    _line(doc, translate("certificate.heading").upper(), 20, bold=True, align="C")
    doc.set_text_color(*GOLD)
    doc.ln(2)
    _line(doc, "★" * int(cert["star_rank"]), 34, align="C")
    doc.set_text_color(0, 0, 0)
    doc.ln(2)
    _line(doc, cert["product_name"], 18, bold=True, align="C")
    doc.ln(6)
    doc.set_left_margin(28)
    doc.set_x(28)
    _facts(
        doc,
        [
            (translate("field.producer"), cert.get("producer_name", "")),
            (translate("field.product_code"), cert.get("product_code", "")),
            (translate("field.certificate_number"), number),
            (translate("column.star_rank"), f"{cert['star_rank']}★"),
            (translate("field.decision_number"), cert.get("decision_number", "")),
            (translate("field.issued_on"), str(cert.get("issued_on", ""))),
            (translate("field.expires_on"), str(cert.get("expires_on", ""))),
        ],
    )
    doc.set_left_margin(10)
    size = 48
    y = max(doc.get_y() + 10, 180)
    _qr(doc, check_url, (210 - size) / 2, y, size)
    doc.set_y(y + size + 2)
    _line(doc, translate("certificate.scan"), 10, align="C")
    doc.set_font("DejaVu", "", 9)
    doc.set_text_color(10, 79, 138)
    doc.multi_cell(
        0,
        5,
        f"{translate('certificate.verify')} {check_url}",
        align="C",
        link=check_url,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    return bytes(doc.output())


def _num(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def minutes(
    evaluation: dict[str, Any],
    council: dict[str, Any],
    dossier: dict[str, Any],
    sheets: list[dict[str, Any]],
    closed_on: str,
) -> bytes:
    """The council minutes: the council and the case, who sat, quorum, each sheet's part
    points and total, the means, the conclusion and room for the signatures."""
    doc = _document(translate("minutes.title"))
    _line(doc, translate("minutes.title"), 15, bold=True, align="C")
    level = label("level", evaluation["level"])
    _line(
        doc,
        f"{council['name']} · {translate('evaluation.at_level', level=level)}"
        f" · {translate('minutes.closed_on', day=closed_on)}",
        10,
        align="C",
    )
    doc.ln(4)
    _line(doc, translate("evaluation.dossier"), 13, bold=True)
    _facts(
        doc,
        [
            (translate("field.product_name"), dossier.get("product_name", "")),
            (translate("field.product_code"), dossier.get("product_code", "")),
            (translate("field.producer"), dossier.get("producer_name", "")),
            (translate("field.product_set"), set_name(dossier.get("product_set_code"))),
        ],
    )
    doc.ln(3)
    _line(doc, translate("minutes.seats"), 13, bold=True)
    for seat in council.get("members", ()):
        name = seat.get("display_name") or seat["account_id"]
        _line(doc, f"• {name} — {label('seat', seat['role'])}")
    quorum = evaluation.get("quorum") or {}
    if quorum:
        doc.ln(1)
        text = translate(
            "evaluation.sheets_of",
            sheets=quorum.get("sheets"),
            required=quorum.get("required"),
            eligible=quorum.get("eligible"),
        )
        declared = translate(
            "evaluation.declared",
            declared=quorum.get("declared"),
            conflicted=quorum.get("conflicted"),
        )
        _line(doc, f"{text} · {declared}", 10)
    if evaluation.get("rescore_count"):
        _line(doc, translate("evaluation.rescored", count=evaluation["rescore_count"]), 10)
    doc.ln(3)
    _line(doc, translate("evaluation.all_sheets"), 13, bold=True)
    result = evaluation.get("result") or {}
    widths = (20, 38, 38, 38, 46)
    header = ("#", "A", "B", "C", translate("sheet.total"))
    rows = [
        (str(i), *(_num(s["part_points"].get(p)) for p in "ABC"), _num(s["total"]))
        for i, s in enumerate(sheets, start=1)
    ]
    if result:
        parts = result.get("parts", {})
        rows.append(
            (translate("minutes.mean"), *(_num(parts.get(p)) for p in "ABC"), _num(result["total"]))
        )
    doc.set_draw_color(120, 120, 120)
    for index, row in enumerate([header, *rows]):
        bold = index == 0 or (result and index == len(rows))
        doc.set_font("DejaVu", "B" if bold else "", 10)
        for width, text in zip(widths, row, strict=True):
            doc.cell(width, 7, text, border=1, align="C")
        doc.ln(7)
    if result:
        doc.ln(4)
        _line(doc, translate("minutes.conclusion"), 13, bold=True)
        rank = result.get("star_rank")
        stars = f"{'★' * rank} ({rank})" if rank else "—"
        outcome = label("outcome", evaluation.get("outcome"))
        _line(doc, f"{translate('sheet.star_rank')}: {stars} · {outcome}")
    doc.ln(14)
    _line(doc, translate("minutes.signatures"), 10, align="C")
    return bytes(doc.output())
