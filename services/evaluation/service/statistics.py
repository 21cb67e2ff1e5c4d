"""Programme statistics within the caller's reach: counts of cases and certificates by star
rank, level and stage, unit, product set and round; the funnel of cases through the levels;
deadlines breached today; and each council's distribution of sheet totals (for dashboards and
reports)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.evaluation.domain.regime import LevelCode, regime_by_name
from services.evaluation.domain.stages import OPEN_STAGES
from services.evaluation.models import (
    Case,
    Certificate,
    ConflictDeclaration,
    Council,
    Evaluation,
    Round,
    ScoreSheet,
    unit_successors,
)
from services.evaluation.service import access
from services.evaluation.service.certificates import today
from shared import unit_map
from shared.auth import OFFICIAL_ROLES, Principal
from shared.errors import Forbidden, Invalid

# Each grouping: the columns it groups by, and what it counts.
GROUPINGS = (
    "star_rank",
    "level_stage",
    "province",
    "district",
    "product_set",
    "round",
    "funnel",
    "deadlines",
    "council_scores",
    "council_bands",
)
# Sheet totals are counted in bands of ten points (the last one, 90 to 100, holds 100).
BAND_WIDTH = 10


def _rows(session: Session, query: Any) -> list[dict[str, Any]]:
    names = [c.name for c in query.selected_columns]
    return [dict(zip(names, row, strict=True)) for row in session.execute(query).all()]


def _query(grouping: str, principal: Principal) -> Any:
    reach = access.jurisdiction_reach(principal)
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
    if grouping in ("province", "district"):
        return _by_current_unit(grouping, reach, count)
    columns: Sequence[Any] = {
        "level_stage": (Case.level, Case.stage),
        "product_set": (Case.product_set_code,),
    }[grouping]
    return select(*columns, count).where(reach).group_by(*columns).order_by(*columns)


def _by_current_unit(grouping: str, reach: Any, count: Any) -> Any:
    """Cases by the unit that answers for them now: a pre-2025 case of a commune merged into a
    2025 one counts under the 2025 province (shared.unit_map), with no district."""
    (mapped, on), current = unit_map.current_unit(
        unit_successors, Case.unit_tree, Case.province_code, Case.district_code, Case.commune_code
    )
    names = ("unit_tree", "province_code", "district_code")
    parts = ("tree", "province", "district")[: 2 if grouping == "province" else 3]
    columns = [current[part].label(name) for part, name in zip(parts, names, strict=False)]
    return (
        select(*columns, count)
        .select_from(Case)
        .outerjoin(mapped, on)
        .where(reach)
        .group_by(*columns)
        .order_by(*columns)
    )


# Every level code in climbing order; every regime's levels keep this order.
_LEVEL_ORDER = [code.value for code in LevelCode]


def _rank(level: Any) -> Any:
    """A level's place in :data:`_LEVEL_ORDER`, in SQL (-1 for a level it does not know)."""
    return case(*((level == code, i) for i, code in enumerate(_LEVEL_ORDER)), else_=-1)


def _funnel(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Per regime and level, in the regime's order: the cases that ``reached`` the level, those
    ``at_level`` now, and those ``recognised`` there.

    Cases imported with a certificate issued before the platform are left out: they went
    through no level here (their certificates count under ``star_rank``).

    A case reached a level if it is at it now, or it had an evaluation (a council assigned to
    score it, ``Evaluation.level``) there, or it reached a level above it: a case climbs one
    level at a time, so the highest level it was ever at counts every level below it too. A
    case handed back from the province to the district (or from the centre to the province)
    reached the province (the centre): its evaluation there says so. A case forwarded whose
    new level has not yet assigned a council is at that level now.
    """
    evaluated = (
        select(Evaluation.dossier_id, func.max(_rank(Evaluation.level)).label("top"))
        .group_by(Evaluation.dossier_id)
        .subquery()
    )
    query = (
        select(Case.regime, Case.level, Case.stage, evaluated.c.top, func.count().label("count"))
        .outerjoin(evaluated, evaluated.c.dossier_id == Case.dossier_id)
        # An imported case climbed no level here: it is no step of the funnel.
        .where(access.jurisdiction_reach(principal), Case.imported.is_(False))
        .group_by(Case.regime, Case.level, Case.stage, evaluated.c.top)
    )
    at: dict[tuple[str, str], int] = {}
    highest: dict[tuple[str, str], int] = {}  # (regime, highest level reached): cases
    recognised: dict[tuple[str, str], int] = {}
    for regime, level, stage, top, count in session.execute(query).all():
        at[regime, level] = at.get((regime, level), 0) + count
        if stage == "recognised":
            recognised[regime, level] = recognised.get((regime, level), 0) + count
        rank = max(
            _LEVEL_ORDER.index(level) if level in _LEVEL_ORDER else -1, -1 if top is None else top
        )
        peak = _LEVEL_ORDER[rank] if rank >= 0 else level
        highest[regime, peak] = highest.get((regime, peak), 0) + count
    rows: list[dict[str, Any]] = []
    for regime in sorted({regime for regime, _ in at}):
        try:
            levels = [lvl.code.value for lvl in regime_by_name(regime).levels]
        except KeyError:
            levels = sorted({level for r, level in (*at, *highest) if r == regime})
        for index, level in enumerate(levels):
            rows.append(
                {
                    "regime": regime,
                    "level": level,
                    "reached": sum(highest.get((regime, above), 0) for above in levels[index:]),
                    "at_level": at.get((regime, level), 0),
                    "recognised": recognised.get((regime, level), 0),
                }
            )
    return rows


def _deadlines(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Deadlines breached today (Vietnam), by level: ``decision`` — re-evaluations past their
    45-day decision limit and still open; ``round`` — evaluations still open after their
    round closed."""
    reach, day = access.jurisdiction_reach(principal), today()
    count = func.count().label("count")
    decision = (
        select(Case.level, count)
        .where(reach, Case.decision_due_on < day, Case.stage.in_(OPEN_STAGES))
        .group_by(Case.level)
    )
    round_ = (
        select(Evaluation.level, count)
        .join(Round, Evaluation.round_id == Round.id)
        .join(Case, Evaluation.dossier_id == Case.dossier_id)
        .where(reach, Evaluation.status != "closed", Round.closes_on < day)
        .group_by(Evaluation.level)
    )
    rows = [
        {"deadline": name, "level": level, "count": n}
        for name, query in (("decision", decision), ("round", round_))
        for level, n in session.execute(query).all()
    ]
    return sorted(rows, key=lambda r: (r["deadline"], r["level"]))


def _band() -> Any:
    """The lower bound of a sheet total's band, in SQL both databases run the same way."""
    whens = [(ScoreSheet.total < edge, edge - BAND_WIDTH) for edge in range(10, 100, BAND_WIDTH)]
    return case(*whens, else_=100 - BAND_WIDTH).label("band")


def _council_scores(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Each council's sheets (current revisions): how many, lowest, mean and highest total."""
    query = (
        select(
            Council.id,
            Council.name,
            Council.level,
            func.count().label("sheets"),
            func.min(ScoreSheet.total),
            func.avg(ScoreSheet.total),
            func.max(ScoreSheet.total),
        )
        .join(Evaluation, ScoreSheet.evaluation_id == Evaluation.id)
        .join(Council, Evaluation.council_id == Council.id)
        .join(Case, Evaluation.dossier_id == Case.dossier_id)
        .where(access.jurisdiction_reach(principal), _counted_sheet())
        .group_by(Council.id, Council.name, Council.level)
        .order_by(Council.name, Council.id)
    )
    return [
        {
            "council_id": str(council_id),
            "council": name,
            "level": level,
            "sheets": sheets,
            "lowest": round(float(low), 1),
            "mean": round(float(mean), 1),
            "highest": round(float(high), 1),
        }
        for council_id, name, level, sheets, low, mean, high in session.execute(query).all()
    ]


def _counted_sheet() -> Any:
    """Sheets a council's figures count: of closed evaluations only (members may not disclose
    results before the council closes), less those set aside for a conflict."""
    set_aside = (
        select(ConflictDeclaration.id)
        .where(
            ConflictDeclaration.evaluation_id == ScoreSheet.evaluation_id,
            ConflictDeclaration.account_id == ScoreSheet.account_id,
            ConflictDeclaration.conflicted.is_(True),
        )
        .exists()
    )
    return (Evaluation.status == "closed") & ~set_aside


def _council_bands(session: Session, principal: Principal) -> list[dict[str, Any]]:
    """Each council's sheet totals in bands of ten points (``band`` is the lower bound)."""
    band = _band()
    query = (
        select(Council.id, Council.name, band, func.count().label("sheets"))
        .join(Evaluation, ScoreSheet.evaluation_id == Evaluation.id)
        .join(Council, Evaluation.council_id == Council.id)
        .join(Case, Evaluation.dossier_id == Case.dossier_id)
        .where(access.jurisdiction_reach(principal), _counted_sheet())
        .group_by(Council.id, Council.name, band)
        .order_by(Council.name, Council.id, band)
    )
    return [
        {"council_id": str(council_id), "council": name, "band": int(low), "sheets": sheets}
        for council_id, name, low, sheets in session.execute(query).all()
    ]


_COMPUTED = {
    "funnel": _funnel,
    "deadlines": _deadlines,
    "council_scores": _council_scores,
    "council_bands": _council_bands,
}


def counts(*, session: Session, principal: Principal, grouping: str) -> list[dict[str, Any]]:
    """Counts for one grouping, only over the cases the caller may read."""
    if not principal.has(*OFFICIAL_ROLES):
        raise Forbidden("statistics.officials_only")
    if grouping not in GROUPINGS:
        raise Invalid(errors={"group_by": ("field.choice", {"choices": ", ".join(GROUPINGS)})})
    if grouping in _COMPUTED:
        return _COMPUTED[grouping](session, principal)
    return _rows(session, _query(grouping, principal))


def summary(*, session: Session, principal: Principal) -> dict[str, list[dict[str, Any]]]:
    """Every grouping at once."""
    return {g: counts(session=session, principal=principal, grouping=g) for g in GROUPINGS}
