"""PDF documents the portal hands out, laid out as Vietnamese administrative documents (Decree
30/2020/NĐ-CP, see :mod:`services.portal.formal`): the OCOP certificate (with the QR code a
label carries, linking to the public check of its number), the recognition decision, the
commune report (Form 03) and the council minutes (biên bản họp hội đồng).

Drawn with fpdf2 in the current language. Vietnamese needs a font with its glyphs: the DejaVu
Sans files the registration service's case-file report already ships are reused from there
(read as files, not imported), rather than a second copy. The family has no italic, so the
lines Decree 30 sets in italics (place and date, the notes under a signature) are upright.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import segno
from fpdf import FPDF

from services.portal import formal
from services.portal.i18n import current_language, label, set_name, translate

FONTS = Path(__file__).resolve().parents[1] / "registration" / "ledger" / "fonts"
BRAND = (11, 93, 30)
GOLD = (138, 97, 0)
LINK = (10, 79, 138)
# Decree 30's margins (top 20-25 mm, bottom 20-25, left 30-35, right 15-20).
LEFT, RIGHT, TOP, BOTTOM = 30.0, 15.0, 20.0, 20.0
HEAD = 10.5  # the heading's size: the national heading fits its column on one line
TEXT = 11.0


def _document(title: str) -> FPDF:
    doc = FPDF(orientation="P", format="A4")
    doc.set_margins(LEFT, TOP, RIGHT)
    doc.set_auto_page_break(auto=True, margin=BOTTOM)
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.set_title(title)
    doc.set_creator("OCOP portal")
    doc.set_lang(current_language())
    doc.add_page()
    return doc


def _line(doc: FPDF, text: str, size: float = TEXT, bold: bool = False, align: str = "J") -> None:
    """A paragraph across the text width."""
    doc.set_font("DejaVu", "B" if bold else "", size)
    doc.multi_cell(0, size * 0.5, text, align=align, new_x="LMARGIN", new_y="NEXT")


def _in_column(
    doc: FPDF, x: float, width: float, text: str, size: float, bold: bool = False
) -> float:
    """``text`` centred in the column ``x``..``x + width`` from the current y; its height."""
    doc.set_font("DejaVu", "B" if bold else "", size)
    top = doc.get_y()
    doc.set_x(x)
    doc.multi_cell(width, size * 0.5, text, align="C", new_x="LEFT", new_y="NEXT")
    return doc.get_y() - top


def _rule(doc: FPDF, centre: float, width: float, gap: float = 1.2) -> None:
    """The short solid line Decree 30 draws under the issuer, the motto and the subject."""
    y = doc.get_y() + gap
    doc.set_draw_color(0, 0, 0)
    doc.set_line_width(0.3)
    doc.line(centre - width / 2, y, centre + width / 2, y)
    doc.set_y(y + gap)


def _parts(doc: FPDF, parts: Sequence[str], width: float, size: float, bold: bool) -> list[str]:
    """The issuer's name on one line if it fits, else broken between its parts, a part still
    too wide in two balanced halves ("MINISTRY OF AGRICULTURE" / "AND ENVIRONMENT")."""
    doc.set_font("DejaVu", "B" if bold else "", size)
    whole = " ".join(parts)
    if doc.get_string_width(whole) <= width - 2:
        return [whole]
    return [line for part in parts for line in _halves(doc, part, width - 2)]


def _halves(doc: FPDF, text: str, width: float) -> list[str]:
    if doc.get_string_width(text) <= width:
        return [text]
    words = text.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    fitting = [pair for pair in splits if max(map(doc.get_string_width, pair)) <= width]
    if not fitting:
        return [text]  # left to multi_cell's wrapping
    return list(min(fitting, key=lambda pair: max(map(doc.get_string_width, pair))))


def _heading(doc: FPDF, document: formal.Formal) -> None:
    """Issuer and number (left), national heading, motto, place and date (right), title and
    subject (centred), as Decree 30's Appendix I places them."""
    left, right = doc.l_margin, doc.w - doc.r_margin
    split = left + (right - left) * 0.42
    lw, rw = split - left, right - split
    top = doc.get_y()
    if document.form:
        doc.set_font("DejaVu", "B", 9)
        doc.set_xy(right - 40, top - 6)
        doc.cell(40, 5, document.form, align="R")
        doc.set_y(top)
    issuer = document.issuer
    if issuer.superior:
        for text in _parts(doc, issuer.superior, lw, HEAD, False):
            _in_column(doc, left, lw, text, HEAD)
    for text in _parts(doc, issuer.body, lw, HEAD, True):
        _in_column(doc, left, lw, text, HEAD, bold=True)
    doc.set_font("DejaVu", "B", HEAD)
    widest = max(doc.get_string_width(p) for p in _parts(doc, issuer.body, lw, HEAD, True))
    _rule(doc, left + lw / 2, min(widest, lw) / 2.5)
    left_bottom = doc.get_y()

    doc.set_y(top)
    _in_column(doc, split, rw, document.nation, HEAD, bold=True)
    _in_column(doc, split, rw, document.motto, HEAD + 0.5, bold=True)
    doc.set_font("DejaVu", "B", HEAD + 0.5)
    _rule(doc, split + rw / 2, doc.get_string_width(document.motto), gap=0.4)
    right_bottom = doc.get_y()

    # The number (left) and the place and date (right) on one line below both blocks.
    y = max(left_bottom, right_bottom) + 2
    doc.set_y(y)
    _in_column(doc, left, lw, document.number, HEAD)
    below_number = doc.get_y()
    doc.set_y(y)
    _in_column(doc, split, rw, document.place_date, HEAD)
    doc.set_y(max(below_number, doc.get_y()) + 8)

    centre = (left + right) / 2
    _in_column(doc, left, right - left, document.title, 14, bold=True)
    if document.subject:
        _in_column(doc, left, right - left, document.subject, 12, bold=True)
        _rule(doc, centre, 40)
    doc.ln(5)


SEAL_SPACE = 24


def _signature_height(signer: formal.Signer) -> float:
    return (3 if signer.authority else 2) * TEXT * 0.5 + 9.5 * 0.5 + SEAL_SPACE


def _signature(doc: FPDF, x: float, width: float, signer: formal.Signer) -> None:
    if signer.authority:
        _in_column(doc, x, width, signer.authority, TEXT, bold=True)
    _in_column(doc, x, width, signer.title, TEXT, bold=True)
    _in_column(doc, x, width, signer.note, 9.5)
    doc.ln(SEAL_SPACE)  # room to sign and seal
    _in_column(doc, x, width, signer.name or " ", TEXT, bold=True)


def _closing(doc: FPDF, document: formal.Formal) -> None:
    """Recipients (left) and the signature with room for the seal (right); with two signers,
    one each side. Kept on one page."""
    needed = max([5 + 4.5 * len(document.recipients), *map(_signature_height, document.signers)])
    if doc.get_y() + 4 + needed > doc.h - doc.b_margin:
        doc.add_page()
    doc.ln(4)
    left, right = doc.l_margin, doc.w - doc.r_margin
    half = (right - left) / 2
    top = doc.get_y()
    bottoms = []
    if document.recipients:
        doc.set_font("DejaVu", "B", 10)
        doc.cell(half, 5, translate("document.recipients"), new_x="LMARGIN", new_y="NEXT")
        doc.set_font("DejaVu", "", 9)
        for item in document.recipients:
            doc.multi_cell(half - 6, 4.5, f"- {item}", new_x="LMARGIN", new_y="NEXT")
        bottoms.append(doc.get_y())
    signers = document.signers
    slots = [right - half] if len(signers) == 1 else [left + i * half for i in range(len(signers))]
    for x, signer in zip(slots, signers, strict=True):
        doc.set_y(top)
        _signature(doc, x, half, signer)
        bottoms.append(doc.get_y())
    doc.set_y(max(bottoms))


def _facts(doc: FPDF, rows: Sequence[tuple[str, str]], key_width: float = 50) -> None:
    for key, value in rows:
        doc.set_font("DejaVu", "", TEXT)
        doc.cell(key_width, 6.5, f"{key}:")
        doc.set_font("DejaVu", "B", TEXT)
        doc.multi_cell(0, 6.5, value or "—", new_x="LMARGIN", new_y="NEXT")


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
    """One A4 page in a double frame: the heading, the product, its rank and facts, the
    signature and seal, and the QR code with the check link printed under it."""
    number = cert["number"]
    document = formal.certificate(cert)
    doc = _document(f"{translate('certificate.heading')} {number}")
    doc.set_draw_color(*BRAND)
    doc.set_line_width(1.2)
    doc.rect(10, 10, 190, 277)
    doc.set_line_width(0.4)
    doc.rect(13, 13, 184, 271)
    doc.set_margins(20, 20, 20)
    doc.set_auto_page_break(auto=False)
    doc.set_y(22)
    _heading(doc, document)
    doc.set_text_color(0, 0, 0)
    _line(doc, translate("document.certificate.grants"), TEXT, align="C")
    doc.set_text_color(*BRAND)
    _line(doc, cert["product_name"], 17, bold=True, align="C")
    doc.set_text_color(*GOLD)
    _line(doc, "★" * int(cert["star_rank"]), 30, align="C")
    doc.set_text_color(0, 0, 0)
    _line(
        doc,
        translate("document.certificate.of", producer=cert.get("producer_name", "")),
        TEXT,
        align="C",
    )
    doc.ln(4)
    doc.set_left_margin(32)
    doc.set_x(32)
    _facts(
        doc,
        [
            (translate("field.product_code"), cert.get("product_code", "")),
            (translate("column.star_rank"), translate("document.stars", rank=cert["star_rank"])),
            (translate("field.certificate_number"), number),
            (translate("field.decision_number"), cert.get("decision_number", "")),
            (translate("field.issued_on"), formal.day_text(cert.get("issued_on"))),
            (translate("field.expires_on"), formal.day_text(cert.get("expires_on"))),
        ],
    )
    doc.set_left_margin(20)
    # The QR code bottom left, the signature block bottom right.
    size = 40
    y = max(doc.get_y() + 16, 200)
    _qr(doc, check_url, 26, y, size)
    doc.set_font("DejaVu", "", 8)
    doc.set_xy(22, y + size + 1)
    doc.multi_cell(size + 8, 3.6, translate("certificate.scan"), align="C")
    doc.set_xy(20, y + size + 12)
    doc.set_text_color(*LINK)
    doc.multi_cell(
        170, 4, f"{translate('certificate.verify')} {check_url}", align="C", link=check_url
    )
    doc.set_text_color(0, 0, 0)
    doc.set_y(y - 4)
    _signature(doc, 105, 85, document.signers[0])
    return bytes(doc.output())


def decision(cert: dict[str, Any], case: dict[str, Any]) -> bytes:
    """The recognition decision (quyết định công nhận) that issued ``cert``."""
    document = formal.decision(cert, case)
    body = formal.decision_body(cert, case, document)
    doc = _document(f"{translate('document.decision.title')} {cert.get('decision_number', '')}")
    _heading(doc, document)
    _line(doc, body.authority, TEXT, bold=True, align="C")
    doc.ln(2)
    for paragraph in body.grounds:
        _line(doc, paragraph)
        doc.ln(1)
    doc.ln(1)
    _line(doc, body.decides, TEXT, bold=True, align="C")
    doc.ln(2)
    _line(doc, body.article1)
    doc.ln(1)
    doc.set_left_margin(LEFT + 8)
    doc.set_x(LEFT + 8)
    _facts(doc, body.facts, key_width=45)
    doc.set_left_margin(LEFT)
    for paragraph in body.articles:
        doc.ln(1.5)
        _line(doc, paragraph)
    _closing(doc, document)
    return bytes(doc.output())


def commune_report(case: dict[str, Any], criteria: Sequence[str]) -> bytes:
    """Form 03: the commune's assessment of the four local criteria and its proposal."""
    document = formal.commune_report(case)
    review = case["commune_review"]
    doc = _document(translate("document.report.open"))
    _heading(doc, document)
    commune = formal.committee(f"{case['unit_tree']}:commune:{case['commune_code']}") or ""
    _line(doc, translate("document.report.intro", commune=commune))
    doc.ln(1)
    doc.set_left_margin(LEFT + 8)
    doc.set_x(LEFT + 8)
    _facts(
        doc,
        [
            (translate("field.product_name"), case.get("product_name", "")),
            (translate("field.product_code"), case.get("product_code", "")),
            (translate("field.producer"), case.get("producer_name", "")),
            (translate("field.product_set"), set_name(case.get("product_set_code"))),
        ],
        key_width=45,
    )
    doc.set_left_margin(LEFT)
    doc.ln(3)
    _line(doc, translate("document.report.criteria"), TEXT, bold=True, align="L")
    doc.ln(1)
    widths = (10, 55, 72, 28)
    header = (
        translate("document.report.no"),
        translate("document.report.criterion"),
        translate("document.report.assessment"),
        translate("document.report.rating"),
    )
    rows = [
        (
            str(index),
            label("local", name),
            review["local_criteria"][name]["assessment"],
            label("rating", review["local_criteria"][name]["rating"]),
        )
        for index, name in enumerate(criteria, start=1)
    ]
    doc.set_draw_color(0, 0, 0)
    doc.set_line_width(0.2)
    doc.set_font("DejaVu", "", 10)
    with doc.table(
        col_widths=widths,
        text_align=("CENTER", "LEFT", "LEFT", "CENTER"),
        line_height=5,
        padding=1.2,
        first_row_as_headings=True,
    ) as table:
        for row in [header, *rows]:
            cells = table.row()
            for text in row:
                cells.cell(text)
    doc.ln(4)
    _line(doc, translate("document.report.proposal"), TEXT, bold=True, align="L")
    _line(doc, label("proposal", review.get("proposal")))
    if review.get("reasons"):
        _line(doc, translate("document.report.reasons", reasons=review["reasons"]))
    _closing(doc, document)
    return bytes(doc.output())


def _num(value: Any) -> str:
    return "—" if value is None else f"{float(value):.1f}"


def minutes(
    evaluation: dict[str, Any],
    council: dict[str, Any],
    dossier: dict[str, Any],
    sheets: list[dict[str, Any]],
) -> bytes:
    """The council minutes: the council and the case, who sat, quorum, each sheet's part
    points and total, the means, the conclusion, and the secretary's and chair's signatures."""
    document = formal.minutes(evaluation, council)
    doc = _document(translate("minutes.title"))
    _heading(doc, document)
    level = label("level", evaluation["level"])
    _line(
        doc,
        f"{council['name']} · {translate('evaluation.at_level', level=level)}"
        f" · {translate('minutes.closed_on', day=formal.day_text(evaluation.get('closed_at')))}",
        10,
        align="C",
    )
    doc.ln(3)
    _line(doc, translate("evaluation.dossier"), 12, bold=True, align="L")
    _facts(
        doc,
        [
            (translate("field.product_name"), dossier.get("product_name", "")),
            (translate("field.product_code"), dossier.get("product_code", "")),
            (translate("field.producer"), dossier.get("producer_name", "")),
            (translate("field.product_set"), set_name(dossier.get("product_set_code"))),
        ],
        key_width=40,
    )
    doc.ln(2)
    _line(doc, translate("minutes.seats"), 12, bold=True, align="L")
    for seat in council.get("members", ()):
        name = seat.get("display_name") or seat["account_id"]
        _line(doc, f"• {name} — {label('seat', seat['role'])}", align="L")
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
        _line(doc, f"{text} · {declared}", 10, align="L")
    if evaluation.get("rescore_count"):
        _line(doc, translate("evaluation.rescored", count=evaluation["rescore_count"]), 10)
    doc.ln(3)
    _line(doc, translate("evaluation.all_sheets"), 12, bold=True, align="L")
    result = evaluation.get("result") or {}
    widths = (25, 35, 35, 35, 35)
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
        _line(doc, translate("minutes.conclusion"), 12, bold=True, align="L")
        rank = result.get("star_rank")
        stars = f"{'★' * rank} ({rank})" if rank else "—"
        outcome = label("outcome", evaluation.get("outcome"))
        _line(doc, f"{translate('sheet.star_rank')}: {stars} · {outcome}", align="L")
    _closing(doc, document)
    return bytes(doc.output())
