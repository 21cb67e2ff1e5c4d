"""Who is told about each event: the recipient rules, as data, in one place.

``RULES`` maps an event type to the audiences told about it; an audience is a pure function of
the event (and a contacts lookup) returning account ids. ``recipients`` resolves the rules of an
event into one ``Recipient`` per person: someone in two audiences (a commune officer who is also
the applicant) gets one email, under the first audience that names them. ``ROUTINE`` says which
messages an official who opted in receives in the daily digest rather than at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

LANGUAGES = ("vi", "en")
DEFAULT_LANGUAGE = "vi"


@dataclass(frozen=True, slots=True)
class ContactInfo:
    """What the contacts read-model knows of a person."""

    account_id: uuid.UUID
    email: str
    display_name: str
    language: str
    roles: frozenset[str]
    unit: str | None
    digest: bool = False  # opted in to the daily digest of routine messages


@dataclass(frozen=True, slots=True)
class Recipient:
    """One person to tell about one event, and why (the audience picks the wording);
    ``digest`` when the message waits for the person's daily digest."""

    account_id: uuid.UUID
    email: str
    display_name: str
    language: str
    audience: str
    digest: bool = False


class ContactsLookup(Protocol):
    """Read access to the contacts read-model (implemented over the ``contacts`` table)."""

    def get(self, account_id: uuid.UUID) -> ContactInfo | None: ...

    def with_role_in_unit(self, role: str, unit: str) -> list[ContactInfo]: ...

    def grants(
        self, *, producer_id: uuid.UUID | None, dossier_id: uuid.UUID | None
    ) -> Mapping[uuid.UUID, bool]:
        """Consultants whose access to the case's producer the read-model knows: True while
        the grant holds, False once withdrawn (the producer found by id, else by dossier)."""
        ...

    def seats(self, council_id: uuid.UUID) -> Mapping[uuid.UUID, str]:
        """The current seats of a council: account id → ``chair``, ``secretary`` or ``member``."""
        ...

    def handler(self, dossier_id: uuid.UUID | None) -> uuid.UUID | None:
        """The commune officer handling the case (shared.participants), if one does."""
        ...

    def excluded(self, dossier_id: uuid.UUID | None) -> frozenset[uuid.UUID]:
        """Members with a conflict on the case: they are told nothing more of it."""
        ...


@dataclass(frozen=True, slots=True)
class EventFacts:
    """The part of an event the rules read: its type, its payload (JSON form), who caused it."""

    type: str
    payload: Mapping[str, Any]
    actor_id: str | None = None


def level_unit(payload: Mapping[str, Any], level: str) -> str:
    """The administrative unit (``tree:level:code`` or ``national``) of a case at ``level``."""
    if level == "national":  # an older "central" is read as national when the event loads
        return "national"
    return f"{payload['unit_tree']}:{level}:{payload[f'{level}_code']}"


def _ids(values: Iterable[Any]) -> list[uuid.UUID]:
    return [uuid.UUID(str(v)) for v in values if v]


def _id(value: Any) -> uuid.UUID | None:
    return uuid.UUID(str(value)) if value else None


def _applicant(e: EventFacts, _c: ContactsLookup) -> list[uuid.UUID]:
    return _ids([e.payload.get("owner_account_id")])


def _consultants(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
    """The producer's consultants while their grant holds. The event's own list is its
    producer's view when it was written; a grant or withdrawal the read-model has seen since
    wins (evaluation's events carry the list copied at acceptance)."""
    p = e.payload
    known = c.grants(producer_id=_id(p.get("producer_id")), dossier_id=_id(p.get("dossier_id")))
    listed = _ids(p.get("consultant_account_ids") or [])
    return [x for x in listed if known.get(x, True)] + sorted(
        (x for x, holds in known.items() if holds and x not in listed), key=str
    )


def _holders(role: str, level_key: str | None) -> Callable[[EventFacts, ContactsLookup], list]:
    """Officials with ``role`` whose unit is the case's unit at a level: a fixed level, or the
    level the event names in ``level_key`` (``level`` or ``to_level``)."""

    def resolve(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
        level = e.payload[level_key] if level_key in ("level", "to_level") else level_key
        if level is None:
            return []
        return [x.account_id for x in c.with_role_in_unit(role, level_unit(e.payload, level))]

    return resolve


def _council(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
    """The council's seats the event lists; else, when it names only the council (the
    authority's recognition, written after the council closed), its seats in the read-model."""
    p = e.payload
    listed = _ids([*(p.get("council_member_ids") or []), p.get("chair_id"), p.get("secretary_id")])
    if listed:
        return listed
    council_id = _id(p.get("council_id"))
    return sorted(c.seats(council_id), key=str) if council_id is not None else []


def _handler(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
    """The commune officer handling the case: the event's word, else the read-model's."""
    named = _id(e.payload.get("handler_account_id")) or c.handler(_id(e.payload.get("dossier_id")))
    return [named] if named is not None else []


def _commune(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
    """The commune on a case: its handling officer; while nobody has taken it, the commune's
    officers (the queue: the only office-wide message at the commune)."""
    return _handler(e, c) or _holders("commune_officer", "commune")(e, c)


def _assignee(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
    """An officer handed a dossier by a colleague (one who took it knows)."""
    handler = _id(e.payload.get("handler_account_id"))
    return [handler] if handler is not None and str(handler) != e.actor_id else []


def _member(e: EventFacts, _c: ContactsLookup) -> list[uuid.UUID]:
    return _ids([e.payload.get("account_id")])


def _council_seats(*roles: str) -> Audience:
    """Holders of ``roles`` on the council the event names (``council_id``), from the
    read-model of council membership; no one when the event names no council."""

    def resolve(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
        council_id = _id(e.payload.get("council_id"))
        if council_id is None:
            return []
        seats = c.seats(council_id)
        return sorted((a for a, role in seats.items() if role in roles), key=str)

    return resolve


def _first_of(*audiences: Audience) -> Audience:
    """The first of ``audiences`` that names anyone (an escalation with its fallback)."""

    def resolve(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
        for audience in audiences:
            if found := audience(e, c):
                return found
        return []

    return resolve


def _at_commune_level(audience: Audience, otherwise: Audience | None = None) -> Audience:
    """``audience`` when the event is about the commune level, else ``otherwise`` (or no one)."""

    def resolve(e: EventFacts, c: ContactsLookup) -> list[uuid.UUID]:
        if e.payload.get("level") == "commune":
            return audience(e, c)
        return otherwise(e, c) if otherwise else []

    return resolve


Audience = Callable[[EventFacts, ContactsLookup], list[uuid.UUID]]

# The office in charge of the case at its level: the secretariat (at the commune, the officer
# handling it).
_level_office = _at_commune_level(_commune, _holders("secretariat", "level"))

# The audiences, by the name templates see as ``recipient.audience``.
AUDIENCES: dict[str, Audience] = {
    "applicant": _applicant,
    "consultant": _consultants,
    # The commune: the officer handling the case, else (nobody has taken it) the queue.
    "commune": _commune,
    "assignee": _assignee,
    "council": _council,
    "member": _member,
    # The secretariat of the level the case is going to (forwarded, handed back).
    "next_secretariat": _holders("secretariat", "to_level"),
    # The secretariat of the level the case is at (at the commune, its officers).
    "level_secretariat": _level_office,
    # A deadline's reminder: the secretary of the council it concerns (the event's optional
    # ``council_id``), else the office of the level.
    "deadline_owner": _first_of(_council_seats("secretary"), _level_office),
    # A breached deadline escalates to that council's chair and secretary, else the office.
    "deadline_escalation": _first_of(_council_seats("chair", "secretary"), _level_office),
    "decision_authority": _holders("decision_authority", "level"),
    # An evaluation opened at the commune is the commune review: its handling officer does it.
    "reviewers": _at_commune_level(_commune, _council),
}

_CASE = ("applicant", "consultant")

# Who is told about what. Order matters only for someone in two audiences (first one wins).
RULES: dict[str, tuple[str, ...]] = {
    "dossier.submitted": (*_CASE, "commune"),
    "dossier.returned": _CASE,
    "dossier.resubmitted": (*_CASE, "commune"),
    "dossier.accepted": _CASE,
    "dossier.assigned": ("assignee",),
    "dossier.withdrawn": (*_CASE, "commune"),
    "evaluation.opened": ("reviewers",),
    "evaluation.rescore_requested": ("council",),
    "evaluation.forwarded": (*_CASE, "next_secretariat", "council"),
    # A hand-back is a result the commune hears of too (results go to it at every decision).
    "evaluation.handed_back": (*_CASE, "commune", "next_secretariat", "council"),
    # The council closed on a result its level recognises: the authority has a decision to
    # take, and the members learn of the close. The applicant hears of the decision itself.
    "evaluation.awaiting_decision": ("decision_authority", "council"),
    # Results go to the applicant and the commune at every decision, by law: recognition and
    # refusal, hand-back (above), revocation and expiry, each with its reason in words.
    "evaluation.decided": (*_CASE, "commune", "council"),
    "certificate.issued": (*_CASE, "commune"),
    "certificate.revoked": (*_CASE, "commune"),
    "certificate.expiring": _CASE,
    "certificate.expired": (*_CASE, "commune"),
    "deadline.approaching": ("deadline_owner",),
    "deadline.breached": ("deadline_escalation",),
    "council.member_added": ("member",),
}

# Routine messages: an official who opted in gets these in one email a day (the digest) rather
# than one by one. Everything else goes at once: decisions (evaluation.decided, certificates),
# deadlines, and what asks a person to act now (a re-score, a seat on a council). The applicant
# and its consultant hear of their own case at once, whatever they chose.
ROUTINE: frozenset[str] = frozenset(
    {
        "dossier.submitted",
        "dossier.resubmitted",
        "dossier.accepted",
        "dossier.returned",
        "dossier.withdrawn",
        "evaluation.opened",
        "evaluation.forwarded",
        "evaluation.handed_back",
    }
)
_NEVER_DIGESTED = frozenset(_CASE)


def goes_to_digest(event_type: str, audience: str, contact: ContactInfo) -> bool:
    """Whether this message waits for the person's daily digest."""
    return contact.digest and event_type in ROUTINE and audience not in _NEVER_DIGESTED


def recipients(event: EventFacts, contacts: ContactsLookup) -> list[Recipient]:
    """Everyone to tell about ``event``, once each; people without a known contact are skipped
    (an account created before this service listened has no address here), and so is a member
    with a conflict on the case, from the moment it is known."""
    seen: set[uuid.UUID] = set(contacts.excluded(_id(event.payload.get("dossier_id"))))
    found: list[Recipient] = []
    for audience in RULES.get(event.type, ()):
        for account_id in AUDIENCES[audience](event, contacts):
            if account_id in seen:
                continue
            contact = contacts.get(account_id)
            if contact is None:
                continue
            seen.add(account_id)
            language = contact.language if contact.language in LANGUAGES else DEFAULT_LANGUAGE
            found.append(
                Recipient(
                    account_id=account_id,
                    email=contact.email,
                    display_name=contact.display_name,
                    language=language,
                    audience=audience,
                    digest=goes_to_digest(event.type, audience, contact),
                )
            )
    return found
