"""Strict loader for the OCOP rubric data files (Decision 26/2026/QĐ-TTg).

The JSON files under ``data/<version>/`` are the scoring sheets of Appendix II and the
catalogue of Appendix I. Their README asks every consumer to apply its validation rules
itself and to refuse a file that breaks them, so loading is two-step:

1. parsing: the JSON must have exactly the documented keys with the documented types;
2. validation (:mod:`shared.rubrics.validation`): sums, codes, star marks, cases, catalogue.

Any ERROR-level finding raises :class:`RubricError` whose message names the file, the
place inside it and the rule broken. WARN-level findings (the README's documented
anomalies) are kept on :attr:`Rubric.warnings`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

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
    RuleType,
    Sector,
    Sheet,
    StarBand,
    SubGroup,
)
from .validation import check_catalog, check_folder_text, check_sheet

DEFAULT_VERSION = "qd26-2026"
DATA_DIR = Path(__file__).resolve().parent / "data"
CATALOG_FILE = "catalog.json"

_VERSION_RE = re.compile(r"[a-z0-9][a-z0-9-]*")
_T = TypeVar("_T")


class RubricError(ValueError):
    """A rubric file is unreadable or breaks an ERROR-level rule of the README.

    ``problems`` holds one line per finding, each naming the file, the place and the rule.
    """

    def __init__(self, problems: Iterable[str]) -> None:
        self.problems: tuple[str, ...] = tuple(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems:\n" + "\n".join(self.problems)
        super().__init__(message)


# --------------------------------------------------------------------------- parsing


class _Obj:
    """A JSON object being read, with its location so every error can say where it is."""

    __slots__ = ("data", "file", "where")

    def __init__(
        self,
        data: object,
        file: str,
        where: str,
        required: frozenset[str],
        optional: frozenset[str] = frozenset(),
    ) -> None:
        self.file = file
        self.where = where
        if not isinstance(data, dict):
            self.fail(f"expected an object, got {_json_type(data)}")
        missing = sorted(required - data.keys())
        if missing:
            self.fail(f"missing key(s) {', '.join(missing)}")
        # Unknown keys are refused: a misspelt optional key ("min_stars") would otherwise
        # silently drop data.
        unknown = sorted(data.keys() - required - optional)
        if unknown:
            self.fail(f"unknown key(s) {', '.join(unknown)}")
        self.data: dict[str, Any] = data

    def fail(self, message: str, rule: int = 1) -> NoReturn:
        raise RubricError([str(Issue("ERROR", rule, self.file, self.where, message))])

    def _get(self, key: str, kind: type | tuple[type, ...], label: str, rule: int) -> Any:
        value = self.data.get(key)
        # bool is an int subclass; a points value of true must not pass as 1.
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            self.fail(f"{key} must be {label}, got {_json_type(value)}", rule)
        return value

    def string(self, key: str) -> str:
        return self._get(key, str, "a string", 1)

    def opt_string(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.string(key)

    def integer(self, key: str, rule: int = 1) -> int:
        return self._get(key, int, "an integer", rule)

    def opt_integer(self, key: str, rule: int = 1) -> int | None:
        return None if self.data.get(key) is None else self.integer(key, rule)

    def boolean(self, key: str) -> bool:
        return self._get(key, bool, "true or false", 1)

    def array(self, key: str) -> list[Any]:
        return self._get(key, list, "a list", 1)

    def strings(self, key: str) -> tuple[str, ...]:
        items = self.array(key)
        if not all(isinstance(i, str) for i in items):
            self.fail(f"{key} must be a list of strings")
        return tuple(items)

    def children(
        self, key: str, make: Callable[[object, str], _T], label: str, code_key: str = "code"
    ) -> tuple[_T, ...]:
        """Parse a list of child objects; each child's place is named by its code."""
        out = []
        for i, item in enumerate(self.array(key)):
            code = item.get(code_key) if isinstance(item, dict) else None
            name = f"{label} {code}" if isinstance(code, str) else f"{label} #{i + 1}"
            out.append(make(item, f"{self.where} {name}".strip()))
        return tuple(out)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string"}.get(
        type(value), "a list" if isinstance(value, list) else "an object"
    )


def _keys(names: str) -> frozenset[str]:
    return frozenset(names.split())


_SHEET_KEYS = _keys(
    "rubric_version legal_basis set_code name name_en sheet_title sheet_classification "
    "sector sector_name group group_code subgroup subgroup_code managing_ministries "
    "requires_5_samples max_points parts notes rules star_legend"
)
_PART_KEYS = _keys("code name name_en max_points heading_points groups")
_GROUP_KEYS = _keys("code name name_en max_points description note criteria")
_GROUP_OPTIONAL = frozenset({"subgroups", "max_points_as_printed"})
_SUBGROUP_KEYS = _keys("code name name_en max_points criterion_codes")
_CRITERION_KEYS = _keys("code name name_en max_points description note options")
_CRITERION_OPTIONAL = _keys(
    "implicit parent applies_if applies_when case_selection cases options_printed option_max_points"
)
_CONDITION_KEYS = _keys("criterion options")
_CASE_KEYS = _keys("code label option_codes max_points")
_OPTION_KEYS = _keys("code text points min_star")
_OPTION_OPTIONAL = frozenset({"case", "applies_if", "points_as_printed"})
_RULE_KEYS = frozenset({"type", "scope", "text"})


def _parse_option(data: object, file: str, where: str) -> Option:
    o = _Obj(data, file, where, _OPTION_KEYS, _OPTION_OPTIONAL)
    return Option(
        code=o.string("code"),
        text=o.string("text"),
        points=o.integer("points", rule=7),
        min_star=o.opt_integer("min_star", rule=7),
        case=o.opt_string("case"),
        applies_if=o.opt_string("applies_if"),
        points_as_printed=o.opt_string("points_as_printed"),
    )


def _parse_case(data: object, file: str, where: str) -> Case:
    o = _Obj(data, file, where, _CASE_KEYS)
    return Case(
        o.string("code"), o.string("label"), o.strings("option_codes"), o.integer("max_points")
    )


def _parse_condition(data: object, file: str, where: str) -> Condition:
    o = _Obj(data, file, f"{where} applies_when", _CONDITION_KEYS)
    return Condition(criterion=o.string("criterion"), options=o.strings("options"))


def _parse_criterion(data: object, file: str, where: str, part: str, group: str) -> Criterion:
    o = _Obj(data, file, where, _CRITERION_KEYS, _CRITERION_OPTIONAL)
    return Criterion(
        code=o.string("code"),
        name=o.string("name"),
        name_en=o.string("name_en"),
        max_points=o.integer("max_points"),
        options=o.children("options", lambda d, w: _parse_option(d, file, w), "option"),
        part_code=part,
        group_code=group,
        applies_if=o.opt_string("applies_if"),
        applies_when=_parse_condition(o.data["applies_when"], file, where)
        if o.data.get("applies_when") is not None
        else None,
        cases=o.children("cases", lambda d, w: _parse_case(d, file, w), "case")
        if "cases" in o.data
        else (),
        case_selection=o.opt_string("case_selection"),
        options_printed=o.boolean("options_printed") if "options_printed" in o.data else True,
        implicit=o.boolean("implicit") if "implicit" in o.data else False,
        parent=o.opt_string("parent"),
        description=o.opt_string("description"),
        note=o.opt_string("note"),
        option_max_points=o.opt_integer("option_max_points"),
    )


def _parse_subgroup(data: object, file: str, where: str) -> SubGroup:
    o = _Obj(data, file, where, _SUBGROUP_KEYS)
    return SubGroup(
        o.string("code"),
        o.string("name"),
        o.string("name_en"),
        o.integer("max_points"),
        o.strings("criterion_codes"),
    )


def _parse_group(data: object, file: str, where: str, part: str) -> Group:
    o = _Obj(data, file, where, _GROUP_KEYS, _GROUP_OPTIONAL)
    code = o.string("code")
    return Group(
        code=code,
        name=o.string("name"),
        name_en=o.string("name_en"),
        max_points=o.integer("max_points"),
        part_code=part,
        criteria=o.children(
            "criteria", lambda d, w: _parse_criterion(d, file, w, part, code), "criterion"
        ),
        subgroups=o.children("subgroups", lambda d, w: _parse_subgroup(d, file, w), "subgroup")
        if "subgroups" in o.data
        else (),
        description=o.opt_string("description"),
        note=o.opt_string("note"),
        max_points_as_printed=o.opt_string("max_points_as_printed"),
    )


def _parse_part(data: object, file: str, where: str) -> Part:
    o = _Obj(data, file, where, _PART_KEYS)
    code = o.string("code")
    return Part(
        code=code,
        name=o.string("name"),
        name_en=o.string("name_en"),
        max_points=o.integer("max_points"),
        heading_points=o.integer("heading_points"),
        groups=o.children("groups", lambda d, w: _parse_group(d, file, w, code), "group"),
    )


def _parse_rule(data: object, file: str, where: str) -> Rule:
    o = _Obj(data, file, where, _RULE_KEYS)
    rule_type = o.string("type")
    if rule_type not in ("knockout", "stop"):
        o.fail(f"type must be knockout or stop, got {rule_type!r}")
    return Rule(cast(RuleType, rule_type), o.string("scope"), o.string("text"))


def parse_sheet(data: object, file: str) -> Sheet:
    """Build a :class:`Sheet` from decoded JSON; checks keys and types only."""
    o = _Obj(data, file, "", _SHEET_KEYS)
    return Sheet(
        rubric_version=o.string("rubric_version"),
        set_code=o.string("set_code"),
        name=o.string("name"),
        name_en=o.string("name_en"),
        requires_5_samples=o.boolean("requires_5_samples"),
        parts=o.children("parts", lambda d, w: _parse_part(d, file, w), "part"),
        rules=o.children("rules", lambda d, w: _parse_rule(d, file, w), "rule", ""),
        notes=o.strings("notes"),
        max_points=o.integer("max_points"),
        legal_basis=o.string("legal_basis"),
        sheet_title=o.string("sheet_title"),
        sheet_classification=o.string("sheet_classification"),
        sector=o.string("sector"),
        sector_name=o.string("sector_name"),
        group=o.string("group"),
        group_code=o.string("group_code"),
        subgroup=o.opt_string("subgroup"),
        subgroup_code=o.opt_string("subgroup_code"),
        managing_ministries=o.strings("managing_ministries"),
        star_legend=o.opt_string("star_legend"),
        file=file,
    )


_CATALOG_KEYS = _keys(
    "rubric_version legal_basis counts managing_ministry_footnote sample_rule sample_rule_ref "
    "star_bands_ref star_bands_note star_bands sectors sets"
)
_SET_KEYS = _keys(
    "set_code file name name_en sheet_title appendix_i_name sector group_code subgroup_code "
    "managing_ministries requires_5_samples"
)


_MINISTRIES_KEY = frozenset({"managing_ministries"})


def _parse_catalog_group(data: object, file: str, where: str) -> CatalogGroup:
    o = _Obj(data, file, where, _keys("code name name_en set_codes subgroups"), _MINISTRIES_KEY)

    def subgroup(d: object, w: str) -> CatalogSubgroup:
        s = _Obj(d, file, w, _keys("code name set_code managing_ministries"))
        return CatalogSubgroup(
            s.string("code"),
            s.string("name"),
            s.string("set_code"),
            s.strings("managing_ministries"),
        )

    return CatalogGroup(
        code=o.string("code"),
        name=o.string("name"),
        name_en=o.string("name_en"),
        set_codes=o.strings("set_codes"),
        subgroups=o.children("subgroups", subgroup, "subgroup"),
        managing_ministries=o.strings("managing_ministries")
        if "managing_ministries" in o.data
        else (),
    )


def _parse_star_band(data: object, file: str, where: str) -> StarBand:
    o = _Obj(data, file, where, _keys("stars min_points max_points max_inclusive text"))
    return StarBand(
        o.integer("stars"),
        o.integer("min_points"),
        o.integer("max_points"),
        o.boolean("max_inclusive"),
        o.string("text"),
    )


def parse_catalog(data: object, file: str = CATALOG_FILE) -> Catalog:
    """Build a :class:`Catalog` from decoded JSON; checks keys and types only."""
    o = _Obj(data, file, "", _CATALOG_KEYS)
    sectors = o.children(
        "sectors",
        lambda d, w: _sector(_Obj(d, file, w, _keys("code name name_en groups"))),
        "sector",
    )
    # The sets list carries only the group code, which restarts in every sector; fill in
    # the names from the sector tree so a ProductSet is self-describing.
    names = {(s.code, g.code): (s.name, g.name) for s in sectors for g in s.groups}

    def product_set(d: object, w: str) -> ProductSet:
        s = _Obj(d, file, w, _SET_KEYS)
        sector, group_code = s.string("sector"), s.string("group_code")
        if (sector, group_code) not in names:
            s.fail(f"sector {sector} has no group {group_code}", rule=12)
        sector_name, group_name = names[sector, group_code]
        return ProductSet(
            set_code=s.string("set_code"),
            file=s.string("file"),
            name=s.string("name"),
            name_en=s.string("name_en"),
            sheet_title=s.string("sheet_title"),
            appendix_i_name=s.string("appendix_i_name"),
            sector=sector,
            sector_name=sector_name,
            group=group_name,
            group_code=group_code,
            subgroup_code=s.opt_string("subgroup_code"),
            managing_ministries=s.strings("managing_ministries"),
            requires_5_samples=s.boolean("requires_5_samples"),
        )

    counts = _Obj(o.data["counts"], file, "counts", frozenset({"sectors", "groups", "sets"}))
    return Catalog(
        rubric_version=o.string("rubric_version"),
        legal_basis=o.string("legal_basis"),
        sectors=sectors,
        sets=o.children("sets", product_set, "set", "set_code"),
        star_bands=o.children(
            "star_bands", lambda d, w: _parse_star_band(d, file, w), "star band", "stars"
        ),
        sample_rule=o.string("sample_rule"),
        managing_ministry_footnote=o.string("managing_ministry_footnote"),
        counts=tuple((k, counts.integer(k)) for k in ("sectors", "groups", "sets")),
        file=file,
    )


def _sector(o: _Obj) -> Sector:
    return Sector(
        code=o.string("code"),
        name=o.string("name"),
        name_en=o.string("name_en"),
        groups=o.children("groups", lambda d, w: _parse_catalog_group(d, o.file, w), "group"),
    )


# ------------------------------------------------------------------------------- I/O


def _no_duplicate_keys(file: str) -> Callable[[list[tuple[str, Any]]], dict[str, Any]]:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key in out:
                # json.loads would silently keep the last one.
                raise RubricError([str(Issue("ERROR", 1, file, "", f"duplicate key {key!r}"))])
            out[key] = value
        return out

    return hook


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


def _read_json(path: Path) -> tuple[object, str]:
    """Decode ``path`` strictly; return the data and the raw text (for rule 13)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RubricError([f"{path.name}: cannot read file: {exc}"]) from exc
    try:
        data = json.loads(
            text,
            object_pairs_hook=_no_duplicate_keys(path.name),
            parse_constant=_reject_constant,
        )
    except (json.JSONDecodeError, ValueError) as exc:
        if isinstance(exc, RubricError):
            raise
        raise RubricError([f"{path.name}: invalid JSON: {exc}"]) from exc
    return data, text


def _raise_errors(issues: Iterable[Issue]) -> tuple[Issue, ...]:
    """Raise for ERROR findings; return the remaining (WARN) ones."""
    issues = tuple(issues)
    errors = [str(i) for i in issues if i.level == "ERROR"]
    if errors:
        raise RubricError(errors)
    return issues


def load_sheet_file(path: str | Path, *, rubric_version: str = DEFAULT_VERSION) -> Sheet:
    """Load and validate one set file on its own (no catalogue cross-check)."""
    path = Path(path)
    data, text = _read_json(path)
    sheet = parse_sheet(data, path.name)
    _raise_errors([*check_folder_text(path.name, text), *check_sheet(sheet, rubric_version)])
    return sheet


def load_rubric_dir(directory: str | Path, *, rubric_version: str | None = None) -> Rubric:
    """Load and validate a rubric folder (``catalog.json`` plus its set files), uncached.

    ``rubric_version`` defaults to the folder name.
    """
    directory = Path(directory)
    version = rubric_version or directory.name
    data, text = _read_json(directory / CATALOG_FILE)
    catalog = parse_catalog(data)
    issues: list[Issue] = list(check_folder_text(CATALOG_FILE, text))
    readme = directory / "README.md"
    if readme.is_file():
        issues += check_folder_text(readme.name, readme.read_text(encoding="utf-8"))

    listed = [s.file for s in catalog.sets]
    present = sorted(p.name for p in directory.glob("*.json") if p.name != CATALOG_FILE)
    for name in sorted(set(present) - set(listed)):
        issues.append(Issue("ERROR", 1, name, "", "set file is not listed in catalog.json"))
    sheets = []
    for name in listed:
        if not (directory / name).is_file():
            issues.append(Issue("ERROR", 1, name, "", "set file listed in catalog.json is missing"))
            continue
        data, text = _read_json(directory / name)
        sheet = parse_sheet(data, name)
        issues += check_folder_text(name, text)
        issues += check_sheet(sheet, version)
        sheets.append(sheet)
    issues += check_catalog(catalog, sheets, version)
    warnings = _raise_errors(issues)
    return Rubric(version=version, catalog=catalog, sheets=tuple(sheets), warnings=warnings)


def available_versions() -> tuple[str, ...]:
    """Rubric versions shipped under ``data/``."""
    return tuple(sorted(p.name for p in DATA_DIR.iterdir() if (p / CATALOG_FILE).is_file()))


def load_rubric(version: str = DEFAULT_VERSION) -> Rubric:
    """The shipped rubric ``version``: catalogue and all sheets, validated once and cached.

    The result is immutable, so sharing the cached instance is safe.
    """
    # The version names a folder; refuse anything that could step outside data/.
    if not isinstance(version, str) or not _VERSION_RE.fullmatch(version):
        raise RubricError([f"invalid rubric version {version!r}"])
    return _load_cached(version)


# Keyed on the plain version string, so load_rubric() and load_rubric("qd26-2026") share
# one entry (lru_cache would key a defaulted and an explicit argument separately).
@lru_cache(maxsize=8)
def _load_cached(version: str) -> Rubric:
    if version not in available_versions():
        known = ", ".join(available_versions())
        raise RubricError([f"unknown rubric version {version!r}; available: {known}"])
    return load_rubric_dir(DATA_DIR / version, rubric_version=version)
