"""The message templates: one Jinja2 template per (language, event type) under
``templates/<lang>/<event type>.j2``, with blocks ``subject``, ``text`` and ``html``. The
templates hold the sentences; the words of codes (a level, an outcome, a ground, a seat, a
document kind, a refusal) come from the shared catalogue (``label``, ``refusal``) and dates are
written as the recipient's language writes them (the ``day`` and ``moment`` filters), so an
email says what the portal and the case file say. The daily digest has its own template,
``_digest.j2``.

The same file is loaded by two environments: the HTML block is rendered with autoescaping, the
subject and the plain text without it (``&`` must stay ``&`` in a plain-text email). Each
message is then wrapped in the language's ``_layout.html`` / ``_layout.txt`` (greeting, portal
link, footer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from functools import cache, cached_property
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from services.notification.domain.messages import Rendered
from services.notification.domain.recipients import DEFAULT_LANGUAGE, LANGUAGES, Recipient
from shared import catalogue
from shared.catalogue import dates

TEMPLATES = Path(__file__).parent / "templates"
DIGEST_TEMPLATE = "_digest"
# Where the portal link of a message about no dossier leads: a new council seat to the
# member's home, which lists the evaluations of their seats.
PORTAL_LINKS: dict[str, str] = {"council.member_added": "/"}


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One routine message as a digest lists it."""

    subject: str
    link: str | None
    at: datetime


class UnknownTemplate(LookupError):
    """No template for this event type (a rule names an event nobody wrote words for)."""


def points(value: float) -> str:
    """A score as shown to people: one decimal, half up (ADR 5: 89.95 shows 90.0)."""
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def product(p: dict[str, Any]) -> str:
    """A product as messages name it: its name, and its code once it has one."""
    code = p.get("product_code")
    return f"{p['product_name']} ({code})" if code else str(p["product_name"])


def refusal(p: dict[str, Any], lang: str) -> str:
    """Why a council's result was not recognised (``reason_code``), in words."""
    code = p.get("reason_code")
    if code == "knocked_out" and (p.get("result") or {}).get("findings"):
        findings = "; ".join(p["result"]["findings"])
        return catalogue.translate("refusal.knocked_out.findings", lang, findings=findings)
    if code == "below_three_stars" and p.get("star_rank"):
        return catalogue.translate("refusal.below_three_stars.rank", lang, star_rank=p["star_rank"])
    if code == "rank_not_higher":
        return catalogue.translate(
            "refusal.rank_not_higher",
            lang,
            star_rank=p.get("star_rank"),
            certificate_number=p.get("certificate_number"),
            certificate_star_rank=p.get("certificate_star_rank"),
        )
    return catalogue.label("refusal", code, lang)


@pass_context
def _label(ctx: Context, prefix: str, value: object) -> str:
    return catalogue.label(prefix, value, ctx["lang"])


@pass_context
def _refusal(ctx: Context, p: dict[str, Any]) -> str:
    return refusal(p, ctx["lang"])


@pass_context
def _day(ctx: Context, value: dates.When) -> str:
    return dates.day(value, ctx["lang"])


@pass_context
def _moment(ctx: Context, value: dates.When) -> str:
    return dates.moment(value, ctx["lang"])


class Catalogue:
    """Renders an event for one recipient in the recipient's language."""

    def __init__(self, directory: Path = TEMPLATES) -> None:
        self.directory = directory

    def _env(self, autoescape: bool) -> Environment:
        env = Environment(
            loader=FileSystemLoader(str(self.directory)),
            autoescape=autoescape,
            undefined=StrictUndefined,  # a misspelt field fails the test, not the reader
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters.update(points=points, day=_day, moment=_moment)
        env.globals.update(label=_label, refusal=_refusal, product=product)
        return env

    @cached_property
    def _plain(self) -> Environment:
        return self._env(False)

    @cached_property
    def _html(self) -> Environment:
        return self._env(True)

    def has(self, event_type: str) -> bool:
        return all((self.directory / lang / f"{event_type}.j2").is_file() for lang in LANGUAGES)

    @staticmethod
    def _block(env: Environment, name: str, block: str, context: dict[str, Any]) -> str:
        template: Template = env.get_template(name)
        parts = template.blocks[block](template.new_context(context))
        return "".join(parts).strip()

    def render(
        self,
        *,
        event_type: str,
        payload: dict[str, Any],
        recipient: Recipient,
        portal_url: str,
        dossier_id: str | None,
    ) -> Rendered:
        """Subject, plain text and HTML of ``event_type`` for ``recipient``: the link goes to
        the dossier, or for a message about none to the portal page it concerns."""
        if dossier_id:
            link, link_kind = f"{portal_url}/dossiers/{dossier_id}", "dossier"
        elif event_type in PORTAL_LINKS:
            link, link_kind = f"{portal_url}{PORTAL_LINKS[event_type]}", "portal"
        else:
            link, link_kind = None, None
        context = {
            "p": payload,
            "recipient": recipient,
            "link": link,
            "link_kind": link_kind,
            "event_type": event_type,
            "portal_url": portal_url,  # a password link's page is built by its template
        }
        return self._render(event_type, recipient, context)

    def render_digest(self, *, items: list[DigestItem], recipient: Recipient) -> Rendered:
        """One email gathering a person's routine messages since the last digest."""
        context = {"items": items, "recipient": recipient, "link": None, "link_kind": None}
        return self._render(DIGEST_TEMPLATE, recipient, context)

    def _render(self, template: str, recipient: Recipient, context: dict[str, Any]) -> Rendered:
        lang = recipient.language if recipient.language in LANGUAGES else DEFAULT_LANGUAGE
        name = f"{lang}/{template}.j2"
        if not (self.directory / name).is_file():
            raise UnknownTemplate(name)
        context = {**context, "lang": lang}
        subject = self._block(self._plain, name, "subject", context)
        text = self._block(self._plain, name, "text", context)
        body = self._block(self._html, name, "html", context)
        layout = {**context, "subject": subject}
        return Rendered(
            subject=subject,
            text=self._plain.get_template(f"{lang}/_layout.txt").render(layout, body=text),
            # The body was escaped when rendered; mark it safe so the layout keeps its tags.
            html=self._html.get_template(f"{lang}/_layout.html").render(layout, body=Markup(body)),
        )


@cache
def default_catalogue() -> Catalogue:
    """The service's catalogue, loaded once per process."""
    return Catalogue()
