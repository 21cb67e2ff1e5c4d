"""The public status of a case: one short line saying where it is, kept from evaluation's events.

``describe`` is pure and data-driven: per event type, an ordered list of rules, each a set of
payload values to match and the template to render (``None``: the event leaves the status as
it is). The first matching rule wins. The lines are English; the portal will render them in
Vietnamese from the same rule keys when it arrives (user-facing text belongs in message
catalogues, and each rule's ``key`` is the catalogue id to use).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from string import Formatter
from types import MappingProxyType
from typing import Any


@dataclass(frozen=True, slots=True)
class Rule:
    """Render ``template`` (``str.format`` over the payload) when ``when`` matches it."""

    key: str
    template: str | None
    when: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def matches(self, payload: Mapping[str, Any]) -> bool:
        return all(payload.get(name) == value for name, value in self.when.items())


TEMPLATES: Mapping[str, tuple[Rule, ...]] = MappingProxyType(
    {
        "evaluation.opened": (
            # Without a council it is the commune's review (Mẫu 03); with one, a council's work.
            Rule("opened.review", "{level} review", {"council_id": None}),
            Rule("opened.council", "at {level} council"),
        ),
        "evaluation.awaiting_decision": (
            Rule(
                "awaiting_decision",
                "at {level} level, {star_rank}★ awaiting the authority's decision",
            ),
        ),
        "evaluation.forwarded": (Rule("forwarded", "at {to_level} level, awaiting a council"),),
        "evaluation.handed_back": (
            Rule("handed_back", "handed back to {to_level} level", {"star_rank": None}),
            Rule("handed_back.rank", "handed back to {to_level} level for a {star_rank}★ decision"),
        ),
        "evaluation.decided": (
            # A recognition is followed by certificate.issued, which says it with the expiry;
            # saying less here could overwrite that line if the two arrive out of order.
            Rule("decided.recognised", None, {"outcome": "recognised"}),
            # An upgrade whose result is not above the certificate it named: that one stands.
            Rule(
                "decided.not_higher",
                "{star_rank}★ is not above certificate {certificate_number} "
                "({certificate_star_rank}★), which stands",
                {"outcome": "not_recognised", "reason_code": "rank_not_higher"},
            ),
            Rule(
                "decided.not_recognised",
                "not recognised at {level} level",
                {"outcome": "not_recognised"},
            ),
            Rule("decided.returned", "returned at {level} level", {"outcome": "returned"}),
            Rule("decided.rejected", "rejected at {level} level", {"outcome": "rejected"}),
        ),
        "certificate.issued": (
            Rule("certificate.issued", "recognised {star_rank}★ until {expires_on}"),
        ),
        "certificate.revoked": (Rule("certificate.revoked", "certificate revoked"),),
        "certificate.expired": (
            Rule("certificate.expired", "certificate expired on {expires_on}"),
        ),
    }
)


def rule_for(event_type: str, payload: Mapping[str, Any]) -> Rule | None:
    """The first rule of ``event_type`` matching ``payload``, if any."""
    return next((r for r in TEMPLATES.get(event_type, ()) if r.matches(payload)), None)


@dataclass(frozen=True, slots=True)
class Status:
    """A public status line, and what a client needs to say it in its own language: the rule's
    key (a catalogue id) and the values its template uses."""

    text: str
    key: str
    params: Mapping[str, Any]


def status_of(event_type: str, payload: Mapping[str, Any]) -> Status | None:
    """The public status an event gives its case; ``None`` when the event does not change it."""
    rule = rule_for(event_type, payload)
    if rule is None or rule.template is None:
        return None
    names = [name for _, name, _, _ in Formatter().parse(rule.template) if name]
    params = {name: payload[name] for name in names}
    return Status(rule.template.format_map(payload), rule.key, params)


#: The line of a dossier whose certificate a later one superseded (an upgrade, a
#: re-evaluation): told by the successor's ``certificate.issued``, which names it in
#: ``replaces``.
SUPERSEDED = Rule(
    "certificate.superseded", "certificate {number} superseded by {superseded_by} ({star_rank}★)"
)


def superseded(number: str, successor: str, star_rank: int) -> Status:
    """The status line of the dossier whose certificate ``number`` was superseded by
    ``successor`` (of ``star_rank``)."""
    params = {"number": number, "superseded_by": successor, "star_rank": star_rank}
    assert SUPERSEDED.template is not None
    return Status(SUPERSEDED.template.format_map(params), SUPERSEDED.key, params)


def describe(event_type: str, payload: Mapping[str, Any]) -> str | None:
    """The public status line an event gives its case (English), if it changes it."""
    status = status_of(event_type, payload)
    return status.text if status else None
