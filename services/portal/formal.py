"""What a formal document (văn bản hành chính, Decree 30/2020/NĐ-CP) says around its body: the
issuing body at top left, the national heading and motto at top right, number and symbol,
place and date, title, and the signer's block with room for the seal.

The certificate, the recognition decision, the commune report (Form 03) and the council
minutes are drawn from these facts twice, as a page (``templates/documents/_formal.html``)
and as a PDF (:mod:`services.portal.pdf`), in the page's language. Issuing bodies are named
from the administrative unit they serve (``tree:level:code``, or ``national``), as the unit
tree it belongs to names it: the pre-2025 tree with districts or the two-tier tree of 2025.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from services.portal.i18n import current_language, label
from services.portal.i18n import translate as t
from shared.catalogue.dates import day, formal_day
from shared.units.lookup import KINDS, by_ref, kind_and_short_name

#: A blank number and symbol, filled by hand when the document is entered in the register.
BLANK = "……"


@dataclass(frozen=True, slots=True)
class Issuer:
    """Who issues, top left: ``body`` the issuing body in capitals, in the parts it may be
    broken into ("ỦY BAN NHÂN DÂN" / "TỈNH QUẢNG TRỊ"); ``superior`` the body it belongs to (a
    council's People's Committee) if any; ``place`` where it dates its documents: the short
    name of its own unit ("Quảng Trị" for the province, "Đông Hà" for that city's committee;
    Hà Nội for the ministry)."""

    body: tuple[str, ...]
    place: str
    national: bool
    superior: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return " ".join(self.body)


@dataclass(frozen=True, slots=True)
class Signer:
    """One signature block: "TM. ỦY BAN NHÂN DÂN" (if any), the title, the note under it
    ("(Ký tên, đóng dấu)"), and the name when the system knows it (else signed by hand)."""

    title: str
    note: str
    authority: str | None = None
    name: str | None = None


@dataclass(frozen=True, slots=True)
class Formal:
    issuer: Issuer
    number: str
    place_date: str
    title: str
    subject: str | None = None
    form: str | None = None
    signers: tuple[Signer, ...] = ()
    recipients: tuple[str, ...] = field(default_factory=tuple)

    @property
    def nation(self) -> str:
        return t("document.nation")

    @property
    def motto(self) -> str:
        return t("document.motto")


# --- naming units -----------------------------------------------------------------------------


def unit_name(name: str, running: bool = False) -> str:
    """A unit's name in the page's language: as the tree names it in Vietnamese ("Tỉnh Quảng
    Trị"), its kind after the name in English ("Quảng Trị Province"). In ``running`` text a
    kind written before the name takes a small letter ("Ủy ban nhân dân xã Cam Hiếu")."""
    kind, short = kind_and_short_name(name)
    if kind is None:
        return name
    pattern = t(f"document.unit.{kind}", name="{name}")
    before, _, after = pattern.partition("{name}")
    if running and before:
        before = before[:1].lower() + before[1:]
    return f"{before}{short}{after}"


def place_name(name: str) -> str:
    """Where a body's documents are dated (Decree 30, Appendix I): its own unit's name
    without its kind ("Quảng Trị", "Đông Hà", "Cam Hiếu"), the kind kept when the name is a
    number ("Phường 1")."""
    short = kind_and_short_name(name)[1]
    return name if short.isdigit() else short


def committee(ref: str | None) -> str | None:
    """The People's Committee of a unit as running text names it ("Ủy ban nhân dân xã Cam
    Hiếu"); None for an unknown unit."""
    row = by_ref(ref)
    return t("document.committee", unit=unit_name(row.name, running=True)) if row else None


# Words of two syllables a heading must not break apart ("THÀNH / PHỐ"): their space is a
# non-breaking one in the heading's lines.
_KEPT = (
    "People's Committee",
    "Ủy ban",
    "nhân dân",
    "Hội đồng",
    "đánh giá",
    "phân hạng",
    "sản phẩm",
    "trung ương",
)


def keep_words(text: str) -> str:
    """``text`` with the space inside a unit's kind and the heading's compound words made
    non-breaking, in any case."""
    for word in (*(k for k in KINDS if " " in k), *_KEPT):
        for form in (word, word.upper(), word.lower(), word.capitalize()):
            text = text.replace(form, form.replace(" ", "\u00a0"))
    return text


def _committee_parts(name: str) -> tuple[str, ...]:
    """A People's Committee's heading in capitals, in two parts: the body, and its unit."""
    before, _, after = t("document.committee", unit="{unit}").partition("{unit}")
    parts = (before, unit_name(name), after)
    return tuple(keep_words(part.strip().upper()) for part in parts if part.strip())


def issuer(ref: str | None, council: str | None = None) -> Issuer:
    """The issuing body of ``ref`` (``tree:level:code`` or ``national``): its People's
    Committee, or the ministry; with ``council``, that council under it."""
    row = by_ref(ref)
    body: tuple[str, ...]
    if row is None:
        body, place, national = (t("document.ministry"),), t("document.capital"), True
    else:
        body = _committee_parts(row.name)
        place = place_name(row.name)
        national = False
    if council:
        return Issuer((keep_words(council.upper()),), place, national, superior=body)
    return Issuer(body, place, national)


def day_text(value: Any) -> str:
    """A date as people read it in the page's language (06/12/2026, 6 Dec 2026)."""
    return day(value, current_language())


def place_date(who: Issuer, day: Any) -> str:
    return t("document.place_date", place=who.place, date=formal_day(day, current_language()))


def number(value: str | None, symbol: str) -> str:
    """ "Số: 1234/QĐ-UBND"; an unnumbered document leaves the number to be written in."""
    return t("document.number", number=value or f"{BLANK}/{symbol}")


def head_of(who: Issuer, name: str | None = None) -> Signer:
    """The head who signs for the body: the committee's chair on its behalf, or the minister."""
    if who.national:
        return Signer(t("document.minister"), t("document.seal"), name=name)
    authority = keep_words(t("document.on_behalf"))
    return Signer(t("document.chair"), t("document.seal"), authority, name)


# --- the four documents -----------------------------------------------------------------------


def certificate(cert: dict[str, Any]) -> Formal:
    who = issuer(cert.get("authority_unit"))
    return Formal(
        issuer=who,
        number=number(cert["number"], ""),
        place_date=place_date(who, cert.get("issued_on")),
        title=t("document.certificate.title"),
        subject=t("document.certificate.subject", rank=cert["star_rank"]),
        signers=(head_of(who, cert.get("decided_by_name")),),
    )


def decision(cert: dict[str, Any], case: dict[str, Any]) -> Formal:
    who = issuer(cert.get("authority_unit"))
    commune = committee(f"{case['unit_tree']}:commune:{case['commune_code']}")
    recipients = (
        t("document.recipients.as_article", article=3),
        f"{case.get('producer_name') or cert.get('producer_name')};",
        *((f"{commune};",) if commune else ()),
        t("document.recipients.archive"),
    )
    return Formal(
        issuer=who,
        number=number(cert.get("decision_number"), t("document.decision.symbol")),
        place_date=place_date(who, cert.get("decided_on") or cert.get("issued_on")),
        title=t("document.decision.title"),
        subject=t("document.decision.subject"),
        signers=(head_of(who, cert.get("decided_by_name")),),
        recipients=recipients,
    )


def commune_report(case: dict[str, Any]) -> Formal:
    who = issuer(f"{case['unit_tree']}:commune:{case['commune_code']}")
    review = case.get("commune_review") or {}
    return Formal(
        issuer=who,
        number=number(None, t("document.report.symbol")),
        place_date=place_date(who, review.get("reviewed_at")),
        title=t("document.report.title"),
        subject=t("document.report.subject"),
        form=t("document.report.form"),
        signers=(head_of(who),),
    )


def minutes(evaluation: dict[str, Any], council: dict[str, Any]) -> Formal:
    """The council's minutes, under the body the council serves, signed by its secretary and
    its chair (their names from the seats)."""
    who = issuer(council.get("unit"), council.get("name"))
    seated = {seat["role"]: seat for seat in council.get("members", ())}

    def seat(role: str) -> Signer:
        person = seated.get(role) or {}
        name = person.get("display_name") or None
        return Signer(t(f"document.minutes.{role}"), t("document.sign"), name=name)

    return Formal(
        issuer=who,
        number=number(None, t("document.minutes.symbol")),
        place_date=place_date(who, evaluation.get("closed_at")),
        title=t("document.minutes.title"),
        subject=t("document.minutes.subject"),
        signers=(seat("secretary"), seat("chair")),
    )


@dataclass(frozen=True, slots=True)
class DecisionBody:
    """What the decision says between its heading and its signature."""

    authority: str
    grounds: tuple[str, ...]
    decides: str
    article1: str
    facts: tuple[tuple[str, str], ...]
    articles: tuple[str, ...]


def decision_body(cert: dict[str, Any], case: dict[str, Any], document: Formal) -> DecisionBody:
    """Who decides, on what grounds (the regime's decision on the criteria, the council's
    result), and the three articles: the product recognised, its certificate, who carries
    it out."""
    national = document.issuer.national
    rank = t("document.stars", rank=cert["star_rank"])
    # A certificate imported from before the platform had no council here: say so instead.
    basis = (
        t("document.decision.basis.imported")
        if cert.get("imported")
        else t("document.decision.basis.council", level=label("level", cert.get("level")))
    )
    return DecisionBody(
        authority=t("document.decision.minister") if national else document.issuer.name,
        grounds=(
            t(f"document.decision.basis.{'ministry' if national else 'committee'}"),
            t(f"document.decision.basis.{case.get('regime') or 'four-level'}"),
            basis,
        ),
        decides=t("document.decision.decides"),
        article1=t("document.decision.article1", rank=cert["star_rank"]),
        facts=(
            (t("field.product_name"), cert.get("product_name", "")),
            (t("field.product_code"), cert.get("product_code", "")),
            (t("field.producer"), cert.get("producer_name", "")),
            (t("column.star_rank"), rank),
        ),
        articles=(
            t(
                "document.decision.article2",
                number=cert["number"],
                issued=day_text(cert.get("issued_on")),
                expires=day_text(cert.get("expires_on")),
            ),
            t("document.decision.article3"),
        ),
    )
