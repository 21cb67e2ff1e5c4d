"""Administrative units: loading the trees, and looking units up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from services.registration.models import AdminUnit
from shared.auth import UnitRef
from shared.db import UnitOfWork, table_of
from shared.errors import Invalid, NotFound
from shared.units import UnitRow, iter_current_units, iter_legacy_units

# Which tree of administrative units each programme regime files dossiers in (OCOP_REGIME).
REGIME_TREE = {"four-level": "pre2025", "two-tier": "2025"}


def replace_tree(*, uow: UnitOfWork, rows: Iterable[UnitRow]) -> int:
    """Load one tree, replacing what was there of it (rows come parents first)."""
    rows = list(rows)
    if not rows:
        return 0
    tree = rows[0].tree
    district_province: dict[str, str] = {}
    records = []
    for row in rows:
        if row.level == "province":
            province, district = row.code, None
        elif row.level == "district":
            province, district = row.parent_code or "", row.code
            district_province[row.code] = province
        elif row.parent_level == "district":
            district = row.parent_code
            province = district_province[district or ""]
        else:
            province, district = row.parent_code or "", None
        records.append(
            {
                "tree": row.tree,
                "level": row.level,
                "code": row.code,
                "name": row.name,
                "parent_code": row.parent_code,
                "province_code": province,
                "district_code": district,
            }
        )
    uow.session.execute(delete(AdminUnit).where(AdminUnit.tree == tree))
    uow.session.execute(table_of(AdminUnit).insert(), records)
    return len(records)


def load_builtin_trees(*, uow: UnitOfWork) -> dict[str, int]:
    """The current tree (vietnam-provinces) and the legacy tree with districts (bundled CSV)."""
    return {
        "2025": replace_tree(uow=uow, rows=iter_current_units()),
        "pre2025": replace_tree(uow=uow, rows=iter_legacy_units()),
    }


def is_loaded(session: Session) -> bool:
    return bool(session.execute(select(func.count()).select_from(AdminUnit)).scalar_one())


def children(
    *,
    session: Session,
    tree: str | None = None,
    level: str | None = None,
    parent: str | None = None,
    regime: str = "four-level",
    limit: int = 200,
    after: str | None = None,
) -> tuple[list[AdminUnit], str | None]:
    """Units of a tree: those of one level (the provinces unless ``level`` says otherwise), or
    the children of ``parent`` (``tree:level:code``, like every unit reference), of ``level``
    only if given.

    The tree is the parent's, else ``tree``, else the one the deployment's ``regime`` files
    dossiers in. A level the tree does not have (the 2025 tree's districts) or a unit without
    children is an empty list; a tree that is not loaded at all, or a parent it does not hold,
    is 404; a parent that is not ``tree:level:code``, or whose tree is not ``tree``, is 422.
    In code order, ``limit`` at a time from the code after ``after``, with the next cursor.
    """
    if parent is None:
        tree = tree or REGIME_TREE[regime]
        query = select(AdminUnit).where(
            AdminUnit.tree == tree, AdminUnit.level == (level or "province")
        )
        rows, cursor = _page(session, query, limit, after)
        if not rows and not _tree_loaded(session, tree):
            raise NotFound("unit.tree_not_loaded", tree=tree)
        return rows, cursor
    ref = _parent_ref(parent, tree)
    if not _exists(session, ref):
        raise NotFound("unit.parent_not_found", unit=parent)
    # Codes are unique within a level only: the parent's level picks the column to match.
    column = {"province": AdminUnit.province_code, "district": AdminUnit.district_code}
    if ref.level not in column:
        return [], None  # a commune has no children
    query = select(AdminUnit).where(
        AdminUnit.tree == ref.tree,
        AdminUnit.parent_code == ref.code,
        column[ref.level] == ref.code,
    )
    if level:
        query = query.where(AdminUnit.level == level)
    return _page(session, query, limit, after)


def _page(
    session: Session, query: Select[AdminUnit], limit: int, after: str | None
) -> tuple[list[AdminUnit], str | None]:
    # Codes are unique within a level, and every list holds one level: the code is the cursor.
    if after is not None:
        query = query.where(AdminUnit.code > after)
    rows = list(session.execute(query.order_by(AdminUnit.code).limit(limit + 1)).scalars())
    return rows[:limit], rows[limit - 1].code if len(rows) > limit else None


def _parent_ref(parent: str, tree: str | None) -> UnitRef:
    try:
        ref = UnitRef.parse(parent)
    except ValueError as exc:
        raise Invalid(errors={"parent": "unit.malformed"}) from exc
    if ref.level == "national":
        raise Invalid(errors={"parent": "unit.malformed"})
    if tree is not None and ref.tree != tree:
        raise Invalid(errors={"parent": ("unit.other_tree", {"tree": tree, "given": ref.tree})})
    return ref


def _exists(session: Session, ref: UnitRef) -> bool:
    found = session.execute(
        select(AdminUnit.id).where(
            AdminUnit.tree == ref.tree, AdminUnit.level == ref.level, AdminUnit.code == ref.code
        )
    ).first()
    return found is not None


def _tree_loaded(session: Session, tree: str) -> bool:
    found = session.execute(select(AdminUnit.id).where(AdminUnit.tree == tree).limit(1)).first()
    return found is not None
