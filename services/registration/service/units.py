"""Administrative units: loading the trees, and looking units up."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from services.registration.models import AdminUnit
from shared import problems
from shared.db import UnitOfWork
from shared.units import UnitRow, iter_current_units, iter_legacy_units


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
    uow.session.execute(AdminUnit.__table__.insert(), records)
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
    *, session: Session, tree: str, level: str | None = None, parent_code: str | None = None
) -> list[AdminUnit]:
    """Units of a tree: the provinces, or the children of one unit."""
    query = select(AdminUnit).where(AdminUnit.tree == tree)
    if parent_code is None:
        query = query.where(AdminUnit.level == (level or "province"))
    else:
        query = query.where(AdminUnit.parent_code == parent_code)
        if level:
            query = query.where(AdminUnit.level == level)
    rows = list(session.execute(query.order_by(AdminUnit.code)).scalars())
    if not rows and parent_code is None:
        raise problems.not_found("tree")
    return rows
