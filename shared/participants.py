"""The people on a case: who is on each dossier, kept from events by every service that asks.

Access to a case and the emails about it follow the people on it, not whole offices (ADR 0009).
The applicant's side (the owner and the consultants it granted) each service already knows
from the case's own facts; this module keeps the officials:

- ``commune_queue``: the commune's officers, while a submitted dossier waits for one of them;
- ``handler``: the commune officer who took it from the queue or was assigned it;
- ``secretariat``: the secretariat of each level the case reached (current where it sits);
- ``council``: the members seated on the council assigned at a level (current while it
  scores), less anyone who declared or was recorded with a conflict on the case;
- ``authority``: the decision authority of a level, once its decision is awaited.

Auditors are not rows: they read what lies in their jurisdiction (ADR 0009).

``RULES`` says, per event type, what the event changes (pure data over the payload); ``apply``
writes that into the two tables every service defines with ``define_tables``; ``reach`` is the
SQL condition "the caller is on this case". Each row remembers the time of the event that last
wrote it, so an older event delivered late never undoes a newer one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    ColumnElement,
    DateTime,
    Index,
    MetaData,
    Select,
    String,
    Table,
    Uuid,
    bindparam,
    delete,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from shared.auth import Principal
from shared.db import as_utc, dialect_insert
from shared.levels import NATIONAL, level_name


class Kind(StrEnum):
    """How an official is on a case."""

    QUEUE = "commune_queue"
    HANDLER = "handler"
    SECRETARIAT = "secretariat"
    COUNCIL = "council"
    AUTHORITY = "authority"


# The role an office's holders have (an office is a role in a unit).
OFFICE_ROLES: dict[Kind, str] = {
    Kind.QUEUE: "commune_officer",
    Kind.SECRETARIAT: "secretariat",
    Kind.AUTHORITY: "decision_authority",
}


@dataclass(frozen=True, slots=True)
class Party:
    """One row's subject: a person (``account_id``), an office (role in ``office_unit``) or the
    seats of a council (``council_id``)."""

    kind: Kind
    level: str
    account_id: str | None = None
    office_unit: str | None = None
    council_id: str | None = None

    @property
    def office_role(self) -> str | None:
        return OFFICE_ROLES.get(self.kind) if self.office_unit is not None else None

    @property
    def key(self) -> str:
        if self.account_id is not None:
            return f"account:{self.account_id}"
        if self.council_id is not None:
            return f"council:{self.council_id}"
        return f"office:{self.office_role}:{self.office_unit}"


# --- what an event changes ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Join:
    """The party is on the case, and acts on it now (``current``) unless it only reads it."""

    party: Party
    current: bool = True


@dataclass(frozen=True, slots=True)
class Leave:
    """Every party of ``kind`` leaves the case, but for the one keyed ``keep``."""

    kind: Kind
    keep: str | None = None


@dataclass(frozen=True, slots=True)
class Settle:
    """Parties of ``kinds`` (all when None) stay on the case, read-only: it moved on."""

    kinds: frozenset[Kind] | None = None


@dataclass(frozen=True, slots=True)
class Exclude:
    """A council member with a conflict: sees and is told nothing more of the case."""

    account_id: str


Change = Join | Leave | Settle | Exclude


def unit_at(payload: Mapping[str, Any], level: str) -> str:
    """The unit (``tree:level:code``, or ``national``) of a case at one of its levels."""
    if level_name(level) == NATIONAL:
        return "national"
    return f"{payload['unit_tree']}:{level}:{payload[f'{level}_code']}"


def _handler(p: Mapping[str, Any]) -> list[Change]:
    """A dossier event naming its handler: the queue is done with it, the handler is on it."""
    handler = p.get("handler_account_id")
    if not handler:
        return []
    party = Party(Kind.HANDLER, "commune", account_id=str(handler))
    return [Leave(Kind.QUEUE), Leave(Kind.HANDLER, keep=party.key), Join(party)]


def _submitted(p: Mapping[str, Any]) -> list[Change]:
    return _handler(p) or [Join(Party(Kind.QUEUE, "commune", office_unit=unit_at(p, "commune")))]


def _withdrawn(_p: Mapping[str, Any]) -> list[Change]:
    return [Settle()]


def _opened(p: Mapping[str, Any]) -> list[Change]:
    """A council's evaluation opened at a level (the commune review is the handler's)."""
    level = p["level"]
    if level == "commune" or not p.get("council_id"):
        return []
    return [
        Join(Party(Kind.SECRETARIAT, level, office_unit=unit_at(p, level))),
        Join(Party(Kind.COUNCIL, level, council_id=str(p["council_id"]))),
    ]


def _moved(p: Mapping[str, Any]) -> list[Change]:
    """Forwarded up or handed back: everyone so far reads on; the secretariat of the level it
    goes to has it in hand (its queue of cases awaiting a council)."""
    to = p["to_level"]
    if to == "commune":
        return [Settle(frozenset(set(Kind) - {Kind.HANDLER}))]
    return [Settle(), Join(Party(Kind.SECRETARIAT, to, office_unit=unit_at(p, to)))]


def _handed_back(p: Mapping[str, Any]) -> list[Change]:
    """Handed back with a rank the lower level recognises: the case waits there for its
    authority's decision (no ``awaiting_decision`` follows), so the authority joins as well."""
    joined = _moved(p)
    if p.get("star_rank") is not None and p["to_level"] != "commune":
        to = p["to_level"]
        joined.append(Join(Party(Kind.AUTHORITY, to, office_unit=unit_at(p, to))))
    return joined


def _awaiting_decision(p: Mapping[str, Any]) -> list[Change]:
    level = p["level"]
    return [
        Settle(frozenset({Kind.COUNCIL})),
        Join(Party(Kind.AUTHORITY, level, office_unit=unit_at(p, level))),
    ]


def _decided(p: Mapping[str, Any]) -> list[Change]:
    """A level decided. The commune review returning the dossier leaves it with its handler;
    every other decision ends the work of everyone on the case (they read on)."""
    if p.get("outcome") == "returned":
        return [Settle(frozenset(set(Kind) - {Kind.HANDLER}))]
    return [Settle()]


def _imported(p: Mapping[str, Any]) -> list[Change]:
    """A certificate issued before the platform: the authority of the level that recognised it
    (which may revoke it) and that level's secretariat read the case; nobody acts on it."""
    level = p["level"]
    unit = unit_at(p, level)
    return [
        Join(Party(Kind.SECRETARIAT, level, office_unit=unit), current=False),
        Join(Party(Kind.AUTHORITY, level, office_unit=unit), current=False),
    ]


def _conflict(p: Mapping[str, Any]) -> list[Change]:
    return [Exclude(str(p["account_id"]))] if p.get("conflicted") else []


#: The payload fields the rules read (for handlers that validate only what they read).
READS = frozenset(
    {"handler_account_id", "unit_tree", "province_code", "district_code", "commune_code"}
    | {"level", "to_level", "council_id", "outcome", "account_id", "conflicted", "star_rank"}
)

RULES: dict[str, Callable[[Mapping[str, Any]], list[Change]]] = {
    "dossier.submitted": _submitted,
    "dossier.resubmitted": _submitted,
    "dossier.returned": _handler,
    "dossier.accepted": _handler,
    "dossier.assigned": _handler,
    "dossier.withdrawn": _withdrawn,
    "evaluation.opened": _opened,
    "evaluation.forwarded": _moved,
    "evaluation.handed_back": _handed_back,
    "evaluation.awaiting_decision": _awaiting_decision,
    "evaluation.decided": _decided,
    "evaluation.conflict_declared": _conflict,
    "certificate.imported": _imported,
}


def changes(event_type: str, payload: Mapping[str, Any]) -> list[Change]:
    """What an event of ``event_type`` changes among the people on its case."""
    rule = RULES.get(event_type)
    return rule(payload) if rule is not None else []


# --- the tables -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Tables:
    participants: Table
    exclusions: Table
    # The current council seats, for a service that learns them from ``council.member_*``
    # events (the evaluation service owns its seats and keeps them its own way).
    seats: Table | None = None

    def seated(self, principal: Principal) -> Select[Any] | None:
        """The councils the caller sits on now (a subquery of council ids)."""
        if self.seats is None:
            return None
        return select(self.seats.c.council_id).where(self.seats.c.account_id == _me(principal))


def define_tables(metadata: MetaData, *, seats: bool = False) -> Tables:
    """The read model's tables, in a service's own schema."""
    participants = Table(
        "case_participants",
        metadata,
        Column("dossier_id", Uuid, primary_key=True),
        Column("party", String(80), primary_key=True),
        Column("kind", String(24), nullable=False),
        Column("level", String(16), nullable=False),
        Column("account_id", Uuid, nullable=True),
        Column("office_role", String(32), nullable=True),
        Column("office_unit", String(40), nullable=True),
        Column("council_id", Uuid, nullable=True),
        # On the case: False once the party left it (kept, so a late older event cannot put
        # it back).
        Column("present", Boolean, nullable=False),
        # Acting on the case now; False: reads what it did (the case moved on).
        Column("current", Boolean, nullable=False),
        Column("as_of", DateTime(timezone=True), nullable=False),
        # A person's cases, an office's cases (its queues), a council's cases.
        Index("ix_case_participants_account", "account_id", "dossier_id"),
        Index("ix_case_participants_office", "office_unit", "office_role", "dossier_id"),
        Index("ix_case_participants_council", "council_id", "dossier_id"),
    )
    exclusions = Table(
        "case_exclusions",
        metadata,
        Column("dossier_id", Uuid, primary_key=True),
        Column("account_id", Uuid, primary_key=True),
        Column("as_of", DateTime(timezone=True), nullable=False),
        Index("ix_case_exclusions_account", "account_id", "dossier_id"),
    )
    seat_table = (
        Table(
            "council_seats",
            metadata,
            Column("council_id", Uuid, primary_key=True),
            Column("account_id", Uuid, primary_key=True),
            Column("role", String(20), nullable=False),
            Index("ix_council_seats_account", "account_id", "council_id"),
        )
        if seats
        else None
    )
    return Tables(participants, exclusions, seat_table)


def record_seat(
    session: Session, tables: Tables, payload: Mapping[str, Any], *, seated: bool
) -> None:
    """Keep a seat from ``council.member_added`` (``seated``) or ``council.member_removed``."""
    assert tables.seats is not None
    t = tables.seats
    key = {"council_id": _uuid(payload["council_id"]), "account_id": _uuid(payload["account_id"])}
    if seated:
        insert = dialect_insert(session)(t).values(**key, role=payload["role"])
        session.execute(
            insert.on_conflict_do_update(
                index_elements=["council_id", "account_id"], set_={"role": payload["role"]}
            )
        )
    else:
        session.execute(
            delete(t).where(
                t.c.council_id == key["council_id"], t.c.account_id == key["account_id"]
            )
        )


def _uuid(value: str | uuid.UUID | None) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


def apply(
    session: Session,
    tables: Tables,
    *,
    dossier_id: str | uuid.UUID,
    event_type: str,
    payload: Mapping[str, Any],
    occurred_at: datetime,
) -> None:
    """Write what an event changes among the people on its case, in the caller's transaction;
    a change older than what a row already says is left out."""
    _write(session, tables, [(_uuid(dossier_id), as_utc(occurred_at), event_type, payload)])


def apply_all(session: Session, tables: Tables, events: Iterable[Any]) -> None:
    """``apply`` for each event (an ``Event`` of ``shared.events``) about a case, a statement
    per kind of change for them all (a batch of a backlog costs a few round trips)."""
    _write(
        session,
        tables,
        [
            (_uuid(e.dossier_id), as_utc(e.occurred_at), e.type, e.payload)
            for e in events
            if e.dossier_id is not None and e.type in RULES
        ],
    )


def new_case_rows(events: Iterable[Any]) -> list[dict[str, Any]]:
    """The rows ``apply_all`` writes for ``events`` about cases created in the same transaction
    (nobody is on them yet): their joins, each a new row, for a bulk insert (an import's
    thousands of cases). An event that would change rows already there is refused."""
    rows: list[dict[str, Any]] = []
    seen: set[tuple[uuid.UUID | None, str]] = set()
    for e in events:
        if e.dossier_id is None or e.type not in RULES:
            continue
        case, at = _uuid(e.dossier_id), as_utc(e.occurred_at)
        for change in changes(e.type, e.payload):
            if not isinstance(change, Join) or (case, change.party.key) in seen:
                raise ValueError(f"{e.type} changes more than a new case's joins")
            seen.add((case, change.party.key))
            rows.append(_row(case, at, change.party, current=change.current))
    return rows


Fact = tuple[uuid.UUID | None, datetime, str, Mapping[str, Any]]


def _write(session: Session, tables: Tables, facts: list[Fact]) -> None:
    """The changes of ``facts``, phase by phase: leaves, settles, joins, exclusions.

    The phases keep one event's order (its rules list leaves and settles before joins), and the
    ``as_of`` guard makes the order of different events' changes immaterial: a change older than
    a row's time is left out, whichever runs first."""
    leaves: list[dict[str, Any]] = []
    settles: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    joins: list[dict[str, Any]] = []
    excludes: list[dict[str, Any]] = []
    for case, at, event_type, payload in facts:
        for change in changes(event_type, payload):
            if isinstance(change, Leave):
                leaves.append(
                    {"d": case, "k": change.kind.value, "keep": change.keep or "", "at": at}
                )
            elif isinstance(change, Settle):
                kinds = tuple(k.value for k in (change.kinds or set(Kind)))
                settles.setdefault(tuple(sorted(kinds)), []).append({"d": case, "at": at})
            elif isinstance(change, Join):
                joins.append(_row(case, at, change.party, current=change.current))
            else:
                excludes.append(
                    {"dossier_id": case, "account_id": _uuid(change.account_id), "as_of": at}
                )
    t, x = tables.participants, tables.exclusions
    conn = session.connection()
    if leaves:
        leave = (
            update(t)
            .where(
                t.c.dossier_id == bindparam("d"),
                t.c.kind == bindparam("k"),
                t.c.party != bindparam("keep"),
                t.c.as_of <= bindparam("at"),
            )
            .values(present=False, current=False, as_of=bindparam("at"))
        )
        conn.execute(leave, leaves)
    for kinds, rows in settles.items():
        settle = (
            update(t)
            .where(
                t.c.dossier_id == bindparam("d"),
                t.c.kind.in_(kinds),
                t.c.as_of <= bindparam("at"),
            )
            .values(current=False, as_of=bindparam("at"))
        )
        conn.execute(settle, rows)
    if joins:
        insert = dialect_insert(session)(t)
        conn.execute(
            insert.on_conflict_do_update(
                index_elements=["dossier_id", "party"],
                set_={
                    "kind": insert.excluded.kind,
                    "level": insert.excluded.level,
                    "present": True,
                    "current": insert.excluded.current,
                    "as_of": insert.excluded.as_of,
                },
                where=t.c.as_of <= insert.excluded.as_of,
            ),
            joins,
        )
    if excludes:
        conn.execute(
            dialect_insert(session)(x).on_conflict_do_nothing(
                index_elements=["dossier_id", "account_id"]
            ),
            excludes,
        )


def _row(case: uuid.UUID | None, at: datetime, p: Party, *, current: bool) -> dict[str, Any]:
    return {
        "dossier_id": case,
        "party": p.key,
        "kind": p.kind.value,
        "level": p.level,
        "account_id": _uuid(p.account_id),
        "office_role": p.office_role,
        "office_unit": p.office_unit,
        "council_id": _uuid(p.council_id),
        "present": True,
        "current": current,
        "as_of": at,
    }


# --- who is on a case -----------------------------------------------------------------------


def _me(principal: Principal) -> uuid.UUID:
    return uuid.UUID(principal.account_id)


def _is_party(
    tables: Tables, principal: Principal, seats: Select[Any] | None
) -> ColumnElement[bool]:
    """Rows naming the caller: as a person, as a holder of an office, or by a council seat."""
    t = tables.participants
    conditions: list[ColumnElement[bool]] = [t.c.account_id == _me(principal)]
    if principal.unit is not None:
        roles = sorted(principal.roles & set(OFFICE_ROLES.values()))
        if roles:
            conditions.append(t.c.office_role.in_(roles) & (t.c.office_unit == str(principal.unit)))
    if seats is not None:
        conditions.append(t.c.council_id.in_(seats))
    return t.c.present.is_(True) & or_(*conditions)


def reach(
    tables: Tables,
    principal: Principal,
    dossier_id: Any,
    *,
    seats: Select[Any] | None = None,
    kinds: Iterable[Kind] | None = None,
    current: bool = False,
) -> ColumnElement[bool]:
    """A SQL condition on ``dossier_id`` (a column): the caller is an official on that case
    (of ``kinds``, acting now when ``current``), and has no conflict on it. ``seats`` selects
    the councils the caller sits on now (each service keeps them its own way).

    The cases the caller is on are one select per way of being on them (as a person, an
    office, a seat), each on its own index, rather than one select with an OR, which a
    database reads by walking the whole table."""
    t, x = tables.participants, tables.exclusions
    ways: list[ColumnElement[bool]] = [t.c.account_id == _me(principal)]
    if principal.unit is not None:
        roles = sorted(principal.roles & set(OFFICE_ROLES.values()))
        if roles:
            ways.append((t.c.office_unit == str(principal.unit)) & t.c.office_role.in_(roles))
    if seats is not None:
        ways.append(t.c.council_id.in_(seats))
    extra: list[ColumnElement[bool]] = [t.c.present.is_(True)]
    if kinds is not None:
        extra.append(t.c.kind.in_([k.value for k in kinds]))
    if current:
        extra.append(t.c.current.is_(True))
    selects = [select(t.c.dossier_id).where(way, *extra) for way in ways]
    on_case = selects[0] if len(selects) == 1 else union_all(*selects)
    excluded = select(x.c.dossier_id).where(x.c.account_id == _me(principal))
    return dossier_id.in_(on_case) & dossier_id.not_in(excluded)


@dataclass(frozen=True, slots=True)
class Standing:
    """How the caller is on one case: the kinds (with levels) held, and which act now."""

    held: frozenset[tuple[Kind, str]]
    acting: frozenset[tuple[Kind, str]]
    excluded: bool

    def on_case(self) -> bool:
        return bool(self.held) and not self.excluded

    def holds(self, *kinds: Kind, level: str | None = None, acting: bool = False) -> bool:
        if self.excluded:
            return False
        pool = self.acting if acting else self.held
        return any(k in kinds and (level is None or lv == level) for k, lv in pool)


def standing(
    session: Session,
    tables: Tables,
    principal: Principal,
    dossier_id: uuid.UUID,
    *,
    seats: Select[Any] | None = None,
) -> Standing:
    """The caller's standing on one case (for a check before an act, or a page's buttons)."""
    t, x = tables.participants, tables.exclusions
    rows = session.execute(
        select(t.c.kind, t.c.level, t.c.current).where(
            t.c.dossier_id == dossier_id, _is_party(tables, principal, seats)
        )
    ).all()
    excluded = (
        session.execute(
            select(x.c.account_id).where(
                x.c.dossier_id == dossier_id, x.c.account_id == _me(principal)
            )
        ).first()
        is not None
    )
    return Standing(
        held=frozenset((Kind(k), lv) for k, lv, _ in rows),
        acting=frozenset((Kind(k), lv) for k, lv, c in rows if c),
        excluded=excluded,
    )
