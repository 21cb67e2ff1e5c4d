"""Programme statistics within the caller's reach: counts of cases and certificates by star
rank, level and stage, unit, product set and round (for dashboards and reports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.evaluation.models import Case, Certificate, Evaluation, Round
from services.evaluation.service import access
from shared import problems
from shared.auth import OFFICIAL_ROLES, Principal

# Each grouping: the columns it groups by, and what it counts.
GROUPINGS = ("star_rank", "level_stage", "province", "district", "product_set", "round")


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    names = [c.name for c in query.selected_columns]
    return [dict(zip(names, row, strict=True)) for row in session.execute(query).all()]


def _query(grouping: str, principal: Principal) -> Any:
    reach = access.case_reach(principal)
    count = func.count().label("count")
    if grouping == "star_rank":
        # Certificates in force, by rank (what a province reports as its OCOP products).
        return (
            select(Certificate.star_rank, count)
            .join(Case, Certificate.dossier_id == Case.dossier_id)
            .where(reach, Certificate.status == "valid")
            .group_by(Certificate.star_rank)
            .order_by(Certificate.star_rank)
        )
    if grouping == "round":
        return (
            select(Round.name.label("round"), Evaluation.level, count)
            .join(Evaluation, Evaluation.round_id == Round.id)
            .join(Case, Evaluation.dossier_id == Case.dossier_id)
            .where(reach)
            .group_by(Round.name, Evaluation.level)
            .order_by(Round.name)
        )
    columns: Sequence[Any] = {
        "level_stage": (Case.level, Case.stage),
        "province": (Case.unit_tree, Case.province_code),
        "district": (Case.unit_tree, Case.province_code, Case.district_code),
        "product_set": (Case.product_set_code,),
    }[grouping]
    return select(*columns, count).where(reach).group_by(*columns).order_by(*columns)


def counts(*, session: Session, principal: Principal, grouping: str) -> list[dict[str, Any]]:
    """Counts for one grouping, only over the cases the caller may read."""
    if not principal.has(*OFFICIAL_ROLES):
        raise problems.forbidden("Statistics are for officials.")
    if grouping not in GROUPINGS:
        raise problems.invalid({"group_by": [f"Expected one of {', '.join(GROUPINGS)}."]})
    return _rows(session, _query(grouping, principal))


def summary(*, session: Session, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Every grouping at once."""
    return {g: counts(session=session, principal=principal, grouping=g) for g in GROUPINGS}
