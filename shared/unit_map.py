"""The map of the 2025 merger, kept by every service that places records in the tree.

An operator loads the map into the registration service (``ocop units map FILE``,
shared.units.merger): it replaces the whole map and publishes one ``units.map_loaded`` event
per pre-2025 province (its communes' successors, none when the file maps none of them), so an
event stays small (a few hundred pairs) and every province of the old tree is replaced each
time. Evaluation and notification keep the same rows from the events.

Records keep the unit they were filed in; the map is read when they are asked for: a 2025
unit's jurisdiction holds the pre-2025 records of the communes merged into it
(:func:`merged_into`, used by shared.jurisdiction), and statistics count a record under its
current unit (:func:`current_unit`). Nothing is copied onto the records, so a record that
arrives after the map (an imported certificate, an old dossier's late event) answers by it at
once, and loading a corrected map changes every answer at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    Column,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    case,
    delete,
    null,
    select,
)
from sqlalchemy.orm import Session

from shared.auth import UnitRef
from shared.db import UnitOfWork, dialect_insert
from shared.events import Event
from shared.units import CURRENT_TREE, LEGACY_TREE
from shared.units.merger import Succession

EVENT_TYPE: Final = "units.map_loaded"


def define_tables(metadata: MetaData) -> tuple[Table, Table]:
    """The pairs (``unit_successors``) and, per pre-2025 province, when its part of the map
    was loaded (``unit_map_provinces``: a later load wins, whatever order events arrive in)."""
    successors = Table(
        "unit_successors",
        metadata,
        Column("old_code", String(8), primary_key=True),
        Column("old_province_code", String(4), nullable=False),
        Column("new_code", String(8), nullable=False),
        Column("new_province_code", String(4), nullable=False),
        # The communes merged into a 2025 commune, or into a 2025 province's communes.
        Index("ix_unit_successors_new", "new_code", "old_code"),
        Index("ix_unit_successors_new_province", "new_province_code", "old_code"),
    )
    provinces = Table(
        "unit_map_provinces",
        metadata,
        Column("province_code", String(4), primary_key=True),
        Column("pairs", Integer, nullable=False),
        Column("loaded_at", DateTime(timezone=True), nullable=False),
    )
    return successors, provinces


def payloads(pairs: Iterable[Succession], provinces: Iterable[str]) -> list[dict[str, Any]]:
    """One event payload per pre-2025 province in ``provinces`` (every one of the old tree),
    with the successors of its communes (an empty list: it has none any more)."""
    by_province: dict[str, list[list[str]]] = {code: [] for code in provinces}
    for pair in pairs:
        by_province.setdefault(pair.old_province, []).append(
            [pair.old_code, pair.new_province, pair.new_code]
        )
    return [
        {"province_code": code, "successors": sorted(rows)}
        for code, rows in sorted(by_province.items())
    ]


def record(
    session: Session, tables: tuple[Table, Table], payload: dict[str, Any], loaded_at: datetime
) -> bool:
    """Keep one province's part of the map, unless a later load of it is kept already (events
    may arrive out of order, or twice). Whether it was kept."""
    successors, provinces = tables
    code = str(payload["province_code"])
    rows = [
        {
            "old_code": old,
            "old_province_code": code,
            "new_province_code": new_province,
            "new_code": new,
        }
        for old, new_province, new in payload["successors"]
    ]
    stamp = {"province_code": code, "pairs": len(rows), "loaded_at": loaded_at}
    insert = dialect_insert(session)(provinces).values(**stamp)
    kept = session.execute(
        insert.on_conflict_do_update(
            index_elements=[provinces.c.province_code],
            set_={"pairs": insert.excluded.pairs, "loaded_at": insert.excluded.loaded_at},
            where=provinces.c.loaded_at < insert.excluded.loaded_at,
        ).returning(provinces.c.province_code)
    ).first()
    if kept is None:
        return False
    session.execute(delete(successors).where(successors.c.old_province_code == code))
    if rows:
        session.execute(successors.insert(), rows)
    return True


def handler(tables: tuple[Table, Table]) -> Callable[..., None]:
    """The consumer of ``units.map_loaded`` for a service keeping the map in ``tables``."""

    def on_map_loaded(*, uow: UnitOfWork, event: Event) -> None:
        record(uow.session, tables, event.payload, event.occurred_at)

    return on_map_loaded


# --- answering by the current unit ------------------------------------------------------------


def merged_into(
    unit: UnitRef, successors: Table, tree: Any, commune: Any
) -> ColumnElement[bool] | None:
    """A SQL condition on a table's ``tree`` and ``commune`` columns: pre-2025 rows whose
    commune merged into ``unit`` (a 2025 province or commune); None for any other unit (the
    pre-2025 tree's jurisdictions are as they were)."""
    if unit.tree != CURRENT_TREE or unit.level not in ("province", "commune"):
        return None
    column = successors.c.new_code if unit.level == "commune" else successors.c.new_province_code
    olds = select(successors.c.old_code).where(column == unit.code)
    return and_(tree == LEGACY_TREE, commune.in_(olds))


def current_unit(
    successors: Table, tree: Any, province: Any, district: Any, commune: Any
) -> tuple[tuple[Any, ColumnElement[bool]], dict[str, Any]]:
    """A record's current unit as SQL: its successor's for a mapped pre-2025 row, else its
    own. Returns the outer join to make (target, condition) and the current ``tree``,
    ``province``, ``district`` and ``commune`` expressions (the 2025 tree has no districts)."""
    mapped = successors.alias("current_successor")
    on = and_(tree == LEGACY_TREE, mapped.c.old_code == commune)
    moved = mapped.c.old_code.is_not(None)
    columns = {
        "tree": case((moved, CURRENT_TREE), else_=tree),
        "province": case((moved, mapped.c.new_province_code), else_=province),
        "district": case((moved, null()), else_=district),
        "commune": case((moved, mapped.c.new_code), else_=commune),
    }
    return (mapped, on), columns
