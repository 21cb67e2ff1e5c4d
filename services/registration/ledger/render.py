"""The readable case file for an inspection report (HTML, and PDF with fpdf2 and a shipped
DejaVu Sans font that has every Vietnamese glyph): the timeline with actors, the score table
per level, the certificate and the verification result.

:func:`gather` collects the facts, in codes; :func:`html` and :func:`pdf` write them in the
reader's language, with the words of the shared catalogue (``casefile.*`` for the report's
own, ``event.*``, ``role.*``, ``level.*``, ``status.*``, ``kind.*`` for the codes) and the
dates of ``shared.catalogue.dates``: a report reads as the portal and the emails do.
"""

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

from services.registration.ledger import verify as ledger_verify
from services.registration.models import Dossier, LedgerEntry, Producer
from shared import catalogue
from shared.catalogue import dates
from shared.ledger.casefile import Report
from shared.units.lookup import by_ref

HERE = Path(__file__).parent
FONTS = HERE / "fonts"
CLOSING = ("evaluation.forwarded", "evaluation.handed_back", "evaluation.decided")
_templates = Environment(
    loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"])
)


@dataclass
class Level:
    level: str
    # The closing entry's kind and outcome (a decision's), and the level a case moved to.
    kind: str
    outcome: str | None
    to_level: str | None
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
            "status": dossier.status,
        },
        timeline=entries,
        levels=_levels(entries),
        certificate=next(
            (e["payload"] for e in reversed(entries) if e["kind"] == "certificate.issued"), None
        ),
        verification=ledger_verify.verify_case(session, dossier_id),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )


class Words:
    """The report's words in one language: its own (``w.title``) and the codes' (``w.kind``)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return catalogue.translate(f"casefile.{key}", self.lang)

    __getitem__ = __getattr__

    def label(self, prefix: str, code: object) -> str:
        return catalogue.label(prefix, code, self.lang)

    def kind(self, kind: str) -> str:
        return self.label("event", kind)

    def moment(self, value: dates.When) -> str:
        return dates.moment(value, self.lang)

    def day(self, value: dates.When) -> str:
        return dates.day(value, self.lang)

    def unit(self, ref: str | None) -> str:
        """A unit by its name in the tree ("Tỉnh Quảng Trị"), not its reference; the national
        level by its label; a reference the trees do not know as it is."""
        if ref == "national":
            return self.label("level", ref)
        row = by_ref(ref)
        return row.name if row else (ref or "—")

    def person(self, actor: dict[str, Any]) -> str:
        """A person's name and role, or the system's role alone."""
        role = self.label("role", actor.get("role")) if actor.get("role") else ""
        name = actor.get("name") or actor.get("user_id")
        if not name:
            return role or "—"
        return f"{name} ({role})" if role else str(name)

    def result_of(self, lv: Level) -> str:
        """A closed evaluation's outcome: a decision's verdict, or where the case moved."""
        if lv.kind == "evaluation.decided":
            verdict = self.label("verdict", lv.outcome)
            return verdict[:1].upper() + verdict[1:]
        moved = self.label("outcome", lv.kind.removeprefix("evaluation."))
        return f"{moved} → {self.label('level', lv.to_level)}" if lv.to_level else moved

    def row(self, entry: dict[str, Any]) -> dict[str, Any]:
        """A timeline row as the reader reads it."""
        return {
            "n": entry["n"],
            "when": self.moment(entry["occurred_at"]),
            "what": self.kind(entry["kind"]),
            "who": self.person(entry["actor"]),
            "details": self.details_of(entry["kind"], entry["payload"]),
        }

    def details_of(self, kind: str, p: dict[str, Any]) -> str:
        """One line of what matters in an entry (reasons, hashes, scores, recipients)."""
        parts: list[str] = []
        if "from_status" in p and "to_status" in p and p["from_status"] != p["to_status"]:
            parts.append(
                f"{self.label('status', p['from_status'])} → {self.label('status', p['to_status'])}"
            )
        if kind == "dossier.document_added":
            parts.append(
                f"{self.label('kind', p.get('kind'))} v{p.get('document_version')} "
                f"sha256 {p.get('sha256')}"
            )
        if kind == "dossier.returned":
            parts += [
                f"{self.label('kind', m.get('item'))}: {m.get('note') or ''}"
                for m in p.get("missing_items", [])
            ]
        if kind == "evaluation.sheet_revised":
            parts.append(f"{p.get('old_total')} → {p.get('total')}")
        elif kind == "evaluation.sheet_submitted":
            parts.append(str(p.get("total")))
        if kind in CLOSING:
            closed = Level(
                p.get("level") or "", kind, p.get("outcome"), p.get("to_level"), None, None
            )
            rank = f" {p['star_rank']}★" if p.get("star_rank") else ""
            parts.append(f"{self.label('level', closed.level)}: {self.result_of(closed)}{rank}")
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
                    kind=e["kind"],
                    outcome=p.get("outcome"),
                    to_level=p.get("to_level"),
                    total=p["result"].get("total"),
                    star_rank=p.get("star_rank"),
                    members=sorted(sheets.get(p["evaluation_id"], {}).values()),
                )
            )
    return levels


def html(report: CaseReport, lang: str) -> str:
    w = Words(lang)
    lines = [w.row(e) for e in report.timeline]
    return _templates.get_template("case_file.html").render(r=report, w=w, lines=lines, lang=lang)


def pdf(report: CaseReport, lang: str) -> bytes:
    from fpdf import FPDF

    w = Words(lang)
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
    for key in ("product_code", "producer"):
        doc.cell(0, 6, f"{w[key]}: {report.dossier[key] or '—'}", new_x="LMARGIN", new_y="NEXT")
    status = w.label("status", report.dossier["status"])
    doc.cell(0, 6, f"{w.status}: {status}", new_x="LMARGIN", new_y="NEXT")
    doc.cell(0, 6, f"{w.generated}: {w.moment(report.generated_at)}", new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["verification"])
    v = report.verification
    doc.multi_cell(0, 6, _verdict(v, w), new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["certificate"])
    c = report.certificate
    if c:
        rows = [
            (w["number"], c["number"]),
            (w["stars"], f"{c['star_rank']}★"),
            (w["issued_on"], w.day(c["issued_on"])),
            (w["expires_on"], w.day(c["expires_on"])),
            (w["authority"], w.unit(c["authority_unit"])),
            (w["decision"], c["decision_number"]),
        ]
        _table(doc, [(k, str(val)) for k, val in rows], widths=(50, 120))
    else:
        doc.cell(0, 6, w["none"], new_x="LMARGIN", new_y="NEXT")

    _heading(doc, w["scores"])
    header = (w["level"], w["outcome"], w["total"], w["stars"], w["members"])
    body = [
        (
            w.label("level", lv.level),
            w.result_of(lv),
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
        (str(t["n"]), t["when"], t["what"], t["who"], t["details"])
        for t in map(w.row, report.timeline)
    ]
    _table(doc, [header, *body], widths=(10, 38, 50, 55, 117), bold_first=True)
    return bytes(doc.output())


def _verdict(v: Report, w: Words) -> str:
    if not v.valid:
        return f"{w['broken']}: {v.text()}"
    cp = v.checkpoint or {}
    signed = (
        f"{w['checkpoint']} #{cp.get('number')} ({w.moment(cp.get('signed_at'))})" if cp else ""
    )
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
