"""Validation rules for the OCOP rubric data (README "Validation", Decision 26/2026/QĐ-TTg).

The rule numbers are those of the data README; a finding quotes its rule so an error
message says which rule was broken. ERROR findings make the loader refuse the file.
WARN findings are the documented source anomalies (a printed figure that disagrees with
the recorded data) and are only reported. The README's INFO oddities are not checked.

Checks beyond the README's list (unique codes, implicit and sub-group consistency, rule
scopes) are reported under rule 1, "structure".
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from string import ascii_lowercase

from .assessment import accepted_answers
from .model import (
    MARK_LEVELS,
    PART_MAXIMA,
    SHEET_MAXIMUM,
    STAR_BANDS,
    Catalog,
    CatalogGroup,
    Criterion,
    Group,
    Issue,
    Level,
    Option,
    Part,
    ProductSet,
    Sheet,
)

#: Appendix I: six sectors, seventeen groups, twenty-six product sets.
EXPECTED_COUNTS: tuple[tuple[str, int], ...] = (("sectors", 6), ("groups", 17), ("sets", 26))
SECTOR_CODES = ("I", "II", "III", "IV", "V", "VI")
#: Article 6.2.d exempts only tourism (sector VI) from sending five samples.
SAMPLE_EXEMPT_SECTOR = "VI"

# A POSIX path starting at the root ("/home/…", not "kg/ha"), a Windows drive, or a file URL.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~])/[A-Za-z0-9_.-]+/|(?<![A-Za-z])[A-Za-z]:\\|file://")


class _Findings:
    """Collects issues for one file."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.issues: list[Issue] = []

    def add(self, level: Level, rule: int, where: str, message: str) -> None:
        self.issues.append(Issue(level, rule, self.file, where, message))

    def error(self, rule: int, where: str, message: str) -> None:
        self.add("ERROR", rule, where, message)

    def warn(self, rule: int, where: str, message: str) -> None:
        self.add("WARN", rule, where, message)


def _codes(items: Iterable[str]) -> str:
    return ", ".join(items) or "none"


# ------------------------------------------------------------------------------ sheet


def check_sheet(sheet: Sheet, rubric_version: str) -> list[Issue]:
    """All ERROR and WARN findings for one sheet (rules 1–11)."""
    out = _Findings(sheet.file or f"set {sheet.set_code}")
    if sheet.rubric_version != rubric_version:
        out.error(1, "", f"rubric_version is {sheet.rubric_version!r}, expected {rubric_version!r}")
    if not re.fullmatch(r"\d\d", sheet.set_code):
        out.error(1, "", f"set_code must be two digits, got {sheet.set_code!r}")
    _check_parts(sheet, out)
    _check_unique_codes(sheet, out)
    for part in sheet.parts:
        for group in part.groups:
            _check_group(part, group, out)
    _check_conditions(sheet, out)
    _check_rules(sheet, out)
    return out.issues


def _check_parts(sheet: Sheet, out: _Findings) -> None:
    expected = dict(PART_MAXIMA)
    codes = tuple(p.code for p in sheet.parts)
    if codes != tuple(expected):
        out.error(2, "parts", f"parts must be {_codes(expected)} in order, got {_codes(codes)}")
    for part in sheet.parts:
        where = f"part {part.code}"
        if part.code in expected and part.max_points != expected[part.code]:
            out.error(2, where, f"max_points is {part.max_points}, expected {expected[part.code]}")
        if part.heading_points != part.max_points:
            out.warn(
                3,
                where,
                f"heading prints {part.heading_points} points, value column {part.max_points}",
            )
        group_sum = sum(g.max_points for g in part.groups)
        if group_sum != part.max_points:
            out.error(
                4, where, f"group maxima sum to {group_sum}, but max_points is {part.max_points}"
            )
    total = sum(p.max_points for p in sheet.parts)
    if sheet.max_points != SHEET_MAXIMUM or total != SHEET_MAXIMUM:
        out.error(
            2, "", f"max_points is {sheet.max_points} and parts sum to {total}; both must be 100"
        )


def _check_unique_codes(sheet: Sheet, out: _Findings) -> None:
    group_codes = Counter(g.code for g in sheet.groups)
    crit_codes = Counter(c.code for c in sheet.criteria)
    for code, n in (group_codes + crit_codes).items():
        # An implicit criterion legitimately repeats its group's code once.
        implicit = group_codes[code] == 1 and crit_codes[code] == 1
        if n > 1 and not (implicit and sheet.criterion(code).implicit):
            out.error(1, "", f"code {code} is used {n} times")


def _check_group(part: Part, group: Group, out: _Findings) -> None:
    where = f"part {part.code} group {group.code}"
    if not group.criteria:
        out.error(1, where, "has no criteria")
    crit_sum = sum(c.max_points for c in group.criteria)
    if crit_sum != group.max_points:
        out.error(
            5, where, f"criterion maxima sum to {crit_sum}, but max_points is {group.max_points}"
        )
    if group.max_points_as_printed is not None:
        out.warn(
            8,
            where,
            f"value cell printed as {group.max_points_as_printed!r}, "
            f"recorded max_points {group.max_points}",
        )
    if any(c.implicit for c in group.criteria):
        _check_implicit(group, where, out)
    _check_subgroups(group, where, out)
    for crit in group.criteria:
        _check_criterion(group, crit, f"{where} criterion {crit.code}", out)


def _check_implicit(group: Group, where: str, out: _Findings) -> None:
    # README: an implicit criterion is the group itself, scored directly.
    crit = group.criteria[0]
    same = (crit.code, crit.name, crit.name_en, crit.max_points) == (
        group.code,
        group.name,
        group.name_en,
        group.max_points,
    )
    if len(group.criteria) != 1 or not same:
        out.error(
            1,
            where,
            "an implicit criterion must be the group's only criterion, with the group's "
            "code, name, name_en and max_points",
        )


def _check_subgroups(group: Group, where: str, out: _Findings) -> None:
    declared = {s.code for s in group.subgroups}
    for crit in group.criteria:
        if crit.parent is not None and crit.parent not in declared:
            out.error(
                1,
                f"{where} criterion {crit.code}",
                f"parent {crit.parent} is not a sub-group of the group",
            )
        if group.subgroups and crit.parent is None:
            out.error(1, f"{where} criterion {crit.code}", "has no parent sub-group")
    for sub in group.subgroups:
        sub_where = f"{where} subgroup {sub.code}"
        members = tuple(c.code for c in group.criteria if c.parent == sub.code)
        if sub.criterion_codes != members:
            out.error(
                1,
                sub_where,
                f"criterion_codes are {_codes(sub.criterion_codes)}, "
                f"but the criteria with this parent are {_codes(members)}",
            )
        total = sum(c.max_points for c in group.criteria if c.parent == sub.code)
        if total != sub.max_points:
            out.error(
                5, sub_where, f"criterion maxima sum to {total}, but max_points is {sub.max_points}"
            )


def _check_criterion(group: Group, crit: Criterion, where: str, out: _Findings) -> None:
    prefix = crit.parent or group.code
    if not (crit.code.startswith(prefix + ".") or (crit.implicit and crit.code == group.code)):
        out.error(1, where, f"code must start with {prefix}.")
    if crit.max_points < 0:
        out.error(7, where, f"max_points is {crit.max_points}, must not be negative")
    if not crit.options_printed and crit.options:
        out.error(1, where, "options_printed is false but options are listed")
    if crit.options_printed and not crit.options:
        out.error(1, where, "has no options, but options_printed is not false")
    _check_options(crit, where, out)
    _check_cases(crit, where, out)
    if crit.cases:
        for case in crit.cases:
            _check_mark_order([o for o in crit.options if o.case == case.code], where, out)
    else:
        _check_mark_order(crit.options, where, out)


def _check_options(crit: Criterion, where: str, out: _Findings) -> None:
    codes = tuple(o.code for o in crit.options)
    expected = tuple(ascii_lowercase[: len(codes)])
    if codes != expected:
        out.error(7, where, f"option codes must run {_codes(expected)}; got {_codes(codes)}")
    limit = max(crit.max_points, crit.option_max_points or 0)
    for opt in crit.options:
        opt_where = f"{where} option {opt.code}"
        if not 0 <= opt.points <= limit:
            out.error(7, opt_where, f"points {opt.points} outside 0..{limit}")
        if opt.min_star is not None and opt.min_star not in MARK_LEVELS:
            out.error(7, opt_where, f"min_star {opt.min_star} is not null, 3, 4 or 5")
        if opt.points_as_printed is not None and opt.points_as_printed != str(opt.points):
            out.warn(
                8, opt_where, f"recorded {opt.points} points, printed {opt.points_as_printed!r}"
            )
    if not crit.options:
        return
    highest = max(o.points for o in crit.options)
    if crit.option_max_points is not None and crit.option_max_points != highest:
        out.error(
            6, where, f"option_max_points is {crit.option_max_points}, highest option {highest}"
        )
    if crit.option_max_points is None and highest != crit.max_points:
        out.warn(6, where, f"max_points is {crit.max_points}, highest option scores {highest}")


def _check_cases(crit: Criterion, where: str, out: _Findings) -> None:
    if not crit.cases:
        if crit.case_selection is not None:
            out.error(11, where, "case_selection is given but no cases are declared")
        for opt in crit.options:
            if opt.case is not None:
                out.error(
                    11, f"{where} option {opt.code}", f"case {opt.case!r} is not a declared case"
                )
        return
    declared = {c.code: c for c in crit.cases}
    if crit.case_selection is None:
        out.error(11, where, "cases are declared without case_selection")
    if len(declared) != len(crit.cases):
        out.error(11, where, "case codes are not unique")
    for opt in crit.options:
        case = declared.get(opt.case or "")
        if case is None:
            problem = "has no case" if opt.case is None else f"case {opt.case!r} is not declared"
            out.error(11, f"{where} option {opt.code}", f"{problem} (declared: {_codes(declared)})")
        elif opt.applies_if != case.label:
            out.error(11, f"{where} option {opt.code}", "applies_if must repeat the case label")
    _check_case_blocks(crit, where, out)


def _check_case_blocks(crit: Criterion, where: str, out: _Findings) -> None:
    for case in crit.cases:
        members = tuple(o.code for o in crit.options if o.case == case.code)
        if case.option_codes != members:
            out.error(
                11,
                f"{where} case {case.code}",
                f"option_codes are {_codes(case.option_codes)}, "
                f"but the options of this case are {_codes(members)}",
            )
        # Each case must be worth the whole criterion, otherwise sums depend on the case.
        if case.max_points != crit.max_points:
            out.error(
                11,
                f"{where} case {case.code}",
                f"max_points is {case.max_points}, the criterion's is {crit.max_points}",
            )


def _check_mark_order(options: Sequence[Option], where: str, out: _Findings) -> None:
    marked = [(o.min_star, o) for o in options if o.min_star is not None]
    for high_star, high in marked:
        for low_star, low in marked:
            if high_star > low_star and high.points < low.points:
                out.warn(
                    9,
                    where,
                    f"option {high.code} ({high_star}★, {high.points} points) scores less "
                    f"than option {low.code} ({low_star}★, {low.points} points)",
                )


def _check_conditions(sheet: Sheet, out: _Findings) -> None:
    """Rule 14: a conditional criterion says, in ``applies_when``, when it applies.

    The condition names an earlier criterion of the sheet (so a sheet is filled and scored
    in one pass, and conditions cannot loop) and some, but not all, of its answers.
    """
    seen: dict[str, Criterion] = {}
    for crit in sheet.criteria:
        where = _criterion_where(crit)
        cond = crit.applies_when
        if (crit.applies_if is None) != (cond is None):
            given, lacking = (
                ("applies_if", "applies_when") if cond is None else ("applies_when", "applies_if")
            )
            out.error(14, where, f"{given} is given without {lacking}")
        if cond is not None:
            _check_condition(cond.criterion, cond.options, seen, where, out)
        seen.setdefault(crit.code, crit)


def _check_condition(
    code: str,
    answers: Sequence[str],
    earlier: dict[str, Criterion],
    where: str,
    out: _Findings,
) -> None:
    where = f"{where} applies_when"
    ruling = earlier.get(code)
    if ruling is None:
        out.error(14, where, f"criterion {code!r} is not an earlier criterion of the sheet")
        return
    accepted = accepted_answers(ruling)
    unknown = [a for a in answers if a not in accepted]
    if unknown:
        out.error(14, where, f"{_codes(unknown)} not among {code}'s answers ({_codes(accepted)})")
    if len(set(answers)) != len(answers):
        out.error(14, where, "options are repeated")
    if not answers or set(answers) >= set(accepted):
        out.error(14, where, f"options must be some, but not all, of {code}'s answers")


def _criterion_where(crit: Criterion) -> str:
    return f"part {crit.part_code} group {crit.group_code} criterion {crit.code}"


def _check_rules(sheet: Sheet, out: _Findings) -> None:
    scopes = {"sheet"} | {g.code for g in sheet.groups} | set(sheet.criterion_codes)
    scopes |= {s.code for g in sheet.groups for s in g.subgroups}
    for i, rule in enumerate(sheet.rules, 1):
        if rule.scope not in scopes:
            out.error(1, f"rule #{i}", f"scope {rule.scope!r} is neither 'sheet' nor a code")
    if sheet.notes != tuple(r.text for r in sheet.rules):
        out.error(1, "notes", "notes must list the texts of rules, in the same order")


def check_folder_text(file: str, text: str) -> list[Issue]:
    """Rule 13: no absolute file-system path anywhere in a data file."""
    out = _Findings(file)
    for match in _ABSOLUTE_PATH.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        out.error(13, f"line {line}", f"absolute path {match.group()!r}")
    return out.issues


# ---------------------------------------------------------------------------- catalog


def check_catalog(catalog: Catalog, sheets: Sequence[Sheet], rubric_version: str) -> list[Issue]:
    """Rule 12: the catalogue's shape, and its agreement with every set file."""
    out = _Findings(catalog.file or "catalog.json")
    if catalog.rubric_version != rubric_version:
        out.error(
            1, "", f"rubric_version is {catalog.rubric_version!r}, expected {rubric_version!r}"
        )
    actual = (
        ("sectors", len(catalog.sectors)),
        ("groups", sum(len(s.groups) for s in catalog.sectors)),
        ("sets", len(catalog.sets)),
    )
    for (key, expected), (_, found), (_, recorded) in zip(
        EXPECTED_COUNTS, actual, catalog.counts or actual, strict=True
    ):
        if found != expected or recorded != expected:
            out.error(
                12, "counts", f"{key}: {found} listed, {recorded} recorded, expected {expected}"
            )
    codes = tuple(s.code for s in catalog.sectors)
    if codes != SECTOR_CODES:
        out.error(
            12, "sectors", f"sector codes must be {_codes(SECTOR_CODES)}, got {_codes(codes)}"
        )
    set_codes = tuple(s.set_code for s in catalog.sets)
    expected_sets = tuple(f"{i:02d}" for i in range(1, len(catalog.sets) + 1))
    if set_codes != expected_sets:
        out.error(12, "sets", f"sets must run 01, 02, … in order; got {_codes(set_codes)}")
    _check_star_bands(catalog, out)
    groups = {(s.code, g.code): g for s in catalog.sectors for g in s.groups}
    members = Counter(code for g in groups.values() for code in g.set_codes)
    for product_set in catalog.sets:
        _check_catalog_set(product_set, groups, members, out)
    by_code = {s.set_code: s for s in catalog.sets}
    for sheet in sheets:
        if sheet.set_code not in by_code:
            out.error(12, "sets", f"no entry for set {sheet.set_code} ({sheet.file})")
        else:
            _check_agreement(by_code[sheet.set_code], sheet, groups, out)
    return out.issues


_BANDS_TEXT = "5★ [90, 100], 4★ [70, 90), 3★ [50, 70), 2★ [30, 50), 1★ [0, 30)"


def _check_star_bands(catalog: Catalog, out: _Findings) -> None:
    # star_band() hard-codes Article 3.3; make sure the data says the same.
    found = tuple((b.stars, b.min_points) for b in catalog.star_bands)
    uppers = tuple(b.max_points for b in catalog.star_bands)
    expected_uppers = (SHEET_MAXIMUM, *(low for _, low in STAR_BANDS[:-1]))
    inclusive = tuple(b.stars for b in catalog.star_bands if b.max_inclusive)
    if found != STAR_BANDS or uppers != expected_uppers or inclusive != (5,):
        out.error(12, "star_bands", f"must be {_BANDS_TEXT} (Article 3.3)")


def _check_catalog_set(
    product_set: ProductSet,
    groups: dict[tuple[str, str], CatalogGroup],
    members: Counter[str],
    out: _Findings,
) -> None:
    where = f"set {product_set.set_code}"
    group = groups.get((product_set.sector, product_set.group_code))
    if group is None or product_set.set_code not in group.set_codes:
        out.error(
            12,
            where,
            f"not listed under sector {product_set.sector} group {product_set.group_code}",
        )
    elif members[product_set.set_code] != 1:
        out.error(12, where, "listed under more than one group")
    else:
        sub = next((s for s in group.subgroups if s.set_code == product_set.set_code), None)
        sub_code = sub.code if sub else None
        if sub_code != product_set.subgroup_code:
            out.error(
                12,
                where,
                f"subgroup_code is {product_set.subgroup_code!r}, "
                f"the sector tree says {sub_code!r}",
            )
        ministries = sub.managing_ministries if sub else group.managing_ministries
        if ministries != product_set.managing_ministries:
            out.error(12, where, "managing_ministries differ from the sector tree")
        name = sub.name if sub else group.name
        if name != product_set.appendix_i_name:
            out.error(
                12,
                where,
                f"appendix_i_name {product_set.appendix_i_name!r} differs "
                f"from the sector tree's {name!r}",
            )
    exempt = product_set.sector == SAMPLE_EXEMPT_SECTOR
    if product_set.requires_5_samples == exempt:
        out.error(
            12,
            where,
            f"requires_5_samples is {str(product_set.requires_5_samples).lower()}, but only "
            f"sector {SAMPLE_EXEMPT_SECTOR} is exempt from samples (Article 6.2.d) and the set "
            f"is in sector {product_set.sector}",
        )


def _check_agreement(
    product_set: ProductSet,
    sheet: Sheet,
    groups: dict[tuple[str, str], CatalogGroup],
    out: _Findings,
) -> None:
    group = groups.get((product_set.sector, product_set.group_code))
    subgroups = group.subgroups if group else ()
    sub = next((s for s in subgroups if s.code == product_set.subgroup_code), None)
    pairs = {
        "file": (product_set.file, sheet.file),
        "name": (product_set.name, sheet.name),
        "name_en": (product_set.name_en, sheet.name_en),
        "sheet_title": (product_set.sheet_title, sheet.sheet_title),
        "sector": (product_set.sector, sheet.sector),
        "sector_name": (product_set.sector_name, sheet.sector_name),
        "group": (product_set.group, sheet.group),
        "group_code": (product_set.group_code, sheet.group_code),
        "subgroup": (sub.name if sub else None, sheet.subgroup),
        "subgroup_code": (product_set.subgroup_code, sheet.subgroup_code),
        "managing_ministries": (product_set.managing_ministries, sheet.managing_ministries),
        "requires_5_samples": (product_set.requires_5_samples, sheet.requires_5_samples),
    }
    for key, (in_catalog, in_sheet) in pairs.items():
        if in_catalog != in_sheet:
            out.error(
                12,
                f"set {product_set.set_code}",
                f"{key} is {_show(in_catalog)}, but {sheet.file} says {_show(in_sheet)}",
            )


def _show(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, tuple):
        return "[" + "; ".join(map(str, value)) + "]"
    return repr(value)
