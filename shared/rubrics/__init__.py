"""OCOP scoring sheets of Decision 26/2026/QĐ-TTg as data, with a strict loader and scoring.

Pure standard library. Typical use::

    from shared.rubrics import load_rubric, score

    sheet = load_rubric().sheet("06")
    result = score(sheet, {"1.1": "c", "1.2": "b", ...})
    result.total, result.star_rank, result.holding_back

The data files and their README live in ``data/<version>/``.
"""

from .assessment import (
    NO,
    SCHEMA_KEY,
    YES,
    AnswerError,
    Score,
    accepted_answers,
    answer_codes,
    answer_points,
    marked_minimum,
    not_applicable,
    score,
    star_band,
    validate_answers,
)
from .loader import (
    DEFAULT_VERSION,
    RubricError,
    available_versions,
    load_rubric,
    load_rubric_dir,
    load_sheet_file,
)
from .model import (
    Case,
    Catalog,
    CatalogGroup,
    CatalogSubgroup,
    Condition,
    Criterion,
    Group,
    Issue,
    Option,
    Part,
    ProductSet,
    Rubric,
    Rule,
    Sector,
    Sheet,
    StarBand,
    SubGroup,
)
from .validation import check_catalog, check_sheet

__all__ = [
    "DEFAULT_VERSION",
    "NO",
    "SCHEMA_KEY",
    "YES",
    "AnswerError",
    "Case",
    "Catalog",
    "CatalogGroup",
    "CatalogSubgroup",
    "Condition",
    "Criterion",
    "Group",
    "Issue",
    "Option",
    "Part",
    "ProductSet",
    "Rubric",
    "RubricError",
    "Rule",
    "Score",
    "Sector",
    "Sheet",
    "StarBand",
    "SubGroup",
    "accepted_answers",
    "answer_codes",
    "answer_points",
    "available_versions",
    "check_catalog",
    "check_sheet",
    "load_rubric",
    "load_rubric_dir",
    "load_sheet_file",
    "marked_minimum",
    "not_applicable",
    "score",
    "star_band",
    "validate_answers",
]
