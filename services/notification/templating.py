"""The message catalogue: one Jinja2 template per (language, event type) under
``templates/<lang>/<event type>.j2``, with blocks ``subject``, ``text`` and ``html``; the
language's label macros (``_labels.j2``) are available to every block as ``l``. The daily
digest has its own template, ``_digest.j2``.

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

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from services.notification.domain.messages import Rendered
from services.notification.domain.recipients import DEFAULT_LANGUAGE, LANGUAGES, Recipient

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
        env.filters["points"] = points
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
        # The language's label macros (levels, outcomes) as ``l``, escaped like the block.
        labels = env.get_template(f"{name.split('/')[0]}/_labels.j2").module
        parts = template.blocks[block](template.new_context({**context, "l": labels}))
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
