"""The readable case file for an inspection report (HTML, and PDF with fpdf2 and a shipped
DejaVu Sans font that has every Vietnamese glyph): the timeline with actors, the score table
per level, the certificate and the verification result."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.ledger import labels
from services.registration.ledger import verify as ledger_verify
from services.registration.models import Dossier, LedgerEntry, Producer
from shared.ledger.casefile import Report

HERE = Path(__file__).parent
FONTS = HERE / "fonts"
CLOSING = ("evaluation.forwarded", "evaluation.handed_back", "evaluation.decided")
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)


@dataclass
class Level:
    level: str
    outcome: str
    total: float | None
    star_rank: int | None
    members: list[tuple[str, float]] = field(default_factory=list)


@dataclass
class CaseReport:
    dossier: dict[str, Any]
    timeline: list[dict[str, Any]]
    levels: list[Level]
    certificate: dict[str, Any] | None
    verification: Report
    generated_at: str


def gather(session: Session, dossier_id: uuid.UUID) -> CaseReport:
    """Everything the report shows, from the case file (full view) and the dossier."""
    row = session.execute(
        select(Dossier, Producer.name)
        .join(Producer, Dossier.producer_id == Producer.id)
        .where(Dossier.id == dossier_id)
    ).one()
    dossier, producer = row
    entries = [
        json.loads(body)
        for body in session.execute(
            select(LedgerEntry.body)
            .where(LedgerEntry.dossier_id == dossier_id)
            .order_by(LedgerEntry.n)
        ).scalars()
    ]
    return CaseReport(
        dossier={
            "id": str(dossier.id),
            "product_name": dossier.product_name,
            "product_code": dossier.product_code,
            "producer": producer,
            "status": dossier.public_status or dossier.status,
        },
        timeline=[_line(e) for e in entries],
        levels=_levels(entries),
        certificate=next(
            (e["payload"] for e in reversed(entries) if e["kind"] == "certificate.issued"), None
        ),
        verification=ledger_verify.verify_case(session, dossier_id),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


def _line(entry: dict[str, Any]) -> dict[str, Any]:
    actor = entry["actor"]
    return {
        "n": entry["n"],
        "when": entry["occurred_at"][:19].replace("T", " "),
        "kind": entry["kind"],
        "who": actor.get("name") or actor.get("role") or "",
        "role": actor.get("role") or "",
        "details": _details(entry["kind"], entry["payload"]),
    }


def _details(kind: str, p: dict[str, Any]) -> str:
    """One line of what matters in an entry (reasons, hashes, scores, recipients)."""
    parts: list[str] = []
    if "from_status" in p and "to_status" in p:
        parts.append(f"{p['from_status']} → {p['to_status']}")
    if kind == "dossier.document_added":
        parts.append(f"{p.get('kind')} v{p.get('document_version')} sha256 {p.get('sha256')}")
    if kind == "dossier.returned":
        parts += [f"{m.get('item')}: {m.get('note') or ''}" for m in p.get("missing_items", [])]
    if kind == "evaluation.sheet_revised":
        parts.append(f"{p.get('old_total')} → {p.get('total')}")
    elif kind == "evaluation.sheet_submitted":
        parts.append(str(p.get("total")))
    if kind in CLOSING:
        parts.append(
            " ".join(
                str(x)
                for x in (
                    p.get("level"),
                    p.get("outcome") or "→",
                    p.get("to_level") or "",
                    p.get("star_rank") or "",
                )
            )
        )
    if kind.startswith("notification."):
        parts.append(f"{p.get('email')} · {p.get('template')} · {p.get('message_id')}")
    if kind.startswith("certificate."):
        parts.append(f"{p.get('number')} {p.get('star_rank')}★")
    if p.get("reason"):
        parts.append(str(p["reason"]))
    return "; ".join(x for x in parts if x.strip())


def _levels(entries: list[dict[str, Any]]) -> list[Level]:
    """Per closed evaluation: its result and each member's final sheet."""
    sheets: dict[str, dict[str, tuple[str, float]]] = {}
    for e in entries:
        if e["kind"] in ("evaluation.sheet_submitted", "evaluation.sheet_revised"):
            p = e["payload"]
            name = e["actor"].get("name") or p["account_id"]
            sheets.setdefault(p["evaluation_id"], {})[p["account_id"]] = (name, p["total"])
    levels = []
    for e in entries:
        if e["kind"] in CLOSING and e["payload"].get("result"):
            p = e["payload"]
            levels.append(
                Level(
                    level=p["level"],
                    outcome=p.get("outcome") or f"→ {p.get('to_level')}",
                    total=p["result"].get("total"),
                    star_rank=p.get("star_rank"),
                    members=sorted(sheets.get(p["evaluation_id"], {}).values()),
                )
            )
    return levels


def html(report: CaseReport, lang: str) -> str:
    return _templates.get_template("case_file.html").render(
        r=report, w=labels.words(lang), kind=lambda k: labels.kind(lang, k), lang=lang
    )


def pdf(report: CaseReport, lang: str) -> bytes:
    from fpdf import FPDF

    w = labels.words(lang)
    doc = FPDF(orientation="L", format="A4")
    doc.set_auto_page_break(auto=True, margin=12)
    doc.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    doc.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    doc.add_page()
    doc.set_font("DejaVu", "B", 16)
    doc.cell(
        0, 10, f"{w['title']}: {report.dossier['product_name']}", new_x="LMARGIN", new_y="NEXT"
    )
    doc.set_font("DejaVu", "", 10)
    for key in ("product_code", "producer", "status"):
        doc.cell(0, 6, f"{w[key]}: {report.dossier[key] or '—'}", new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 6, f"{w['generated']}: {report.generated_at}", new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["verification"])
    v = report.verification
    doc.multi_cell(0, 6, _verdict(v, w), new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["certificate"])
    c = report.certificate
    if c:
        rows = [
            (w["number"], c["number"]),
            (w["stars"], f"{c['star_rank']}★"),
            (w["issued_on"], c["issued_on"]),
            (w["expires_on"], c["expires_on"]),
            (w["authority"], c["authority_unit"]),
            (w["decision"], c["decision_number"]),
        ]
        _table(doc, [(k, str(val)) for k, val in rows], widths=(50, 120))
    else:
        doc.cell(0, 6, w["none"], new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["scores"])
    header = (w["level"], w["outcome"], w["total"], w["stars"], w["members"])
    body = [
        (
            lv.level,
            lv.outcome,
            _num(lv.total),
            str(lv.star_rank or ""),
            "; ".join(f"{name}: {_num(total)}" for name, total in lv.members),
        )
        for lv in report.levels
    ]
    _table(doc, [header, *body], widths=(30, 40, 25, 20, 150), bold_first=True)

    _heading(doc, w["timeline"])
    header = ("#", w["when"], w["what"], w["who"], w["details"])
    body = [
        (
            str(t["n"]),
            t["when"],
            labels.kind(lang, t["kind"]),
            f"{t['who']} ({t['role']})",
            t["details"],
        )
        for t in report.timeline
    ]
    _table(doc, [header, *body], widths=(10, 38, 50, 55, 117), bold_first=True)
    return bytes(doc.output())


def _verdict(v: Report, w: dict[str, str]) -> str:
    if not v.valid:
        return f"{w['broken']}: {v.text()}"
    cp = v.checkpoint or {}
    signed = f"{w['checkpoint']} #{cp.get('number')} ({cp.get('signed_at')})" if cp else ""
    return f"{w['valid']} — {v.entries} {w['entries']}. {signed}. {w['key']}: {v.key_fingerprint}"


def _num(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _heading(doc: Any, text: str) -> None:
    doc.ln(3)
    doc.set_font("DejaVu", "B", 12)
    doc.cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
    doc.set_font("DejaVu", "", 9)


def _table(
    doc: Any, rows: list[tuple[str, ...]], *, widths: tuple[int, ...], bold_first: bool = False
) -> None:
    with doc.table(col_widths=widths, first_row_as_headings=bold_first, text_align="LEFT") as t:
        for values in rows:
            line = t.row()
            for value in values:
                line.cell(value)
