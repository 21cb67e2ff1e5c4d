"""Vietnam's administrative units as plain rows, ready for the registration service to load.

Two trees coexist because dossiers keep the address they were filed under:

* ``"pre2025"``: province → district → commune (63 / 691 / 10,051), from the CSV shipped in
  ``data/`` (taken from ``vietnam-provinces`` 0.6.0, the last release with districts);
* ``"2025"``: province → commune (34 / 3,321), from the installed ``vietnam-provinces``.

No database code here: the caller owns the table and the insert.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

LEGACY_TREE: Final = "pre2025"
CURRENT_TREE: Final = "2025"

LEVELS: Final = ("province", "district", "commune")
CODE_WIDTH: Final = {"province": 2, "district": 3, "commune": 5}
# Codes repeat across levels (province 45 vs district 045) but each level has its own width, so
# a parent code's width alone names the parent's level, in either tree.
LEVEL_BY_WIDTH: Final = {width: level for level, width in CODE_WIDTH.items()}
# In the legacy tree every unit hangs off the level just above it.
LEGACY_PARENT_LEVEL: Final = {"district": "province", "commune": "district"}

CSV_HEADER: Final = ("level", "code", "name", "parent_code")
MAX_ERRORS: Final = 20


@dataclass(frozen=True, slots=True)
class UnitRow:
    tree: str
    level: str  # "province" | "district" | "commune"
    code: str  # zero-padded official code: 2, 3 or 5 digits
    name: str  # with its type prefix ("Tỉnh …", "Huyện …", "Xã …")
    parent_code: str | None  # the unit one level up in the same tree; None for provinces

    @property
    def parent_level(self) -> str | None:
        return None if self.parent_code is None else LEVEL_BY_WIDTH[len(self.parent_code)]


class UnitImportError(ValueError):
    """A unit CSV failed validation; ``errors`` holds ``(line, reason)`` pairs, first bad first."""

    def __init__(self, errors: list[tuple[int, str]], *, total: int | None = None) -> None:
        self.errors = errors
        self.total = len(errors) if total is None else total
        first_line, first_reason = errors[0]
        if self.total == 1:
            message = f"line {first_line}: {first_reason}"
        else:
            listed = "\n".join(f"  line {line}: {reason}" for line, reason in errors)
            more = self.total - len(errors)
            tail = f"\n  … and {more} more" if more else ""
            message = f"{self.total} errors, first at line {first_line}:\n{listed}{tail}"
        super().__init__(message)


# --- the current (2025) tree -----------------------------------------------------------------


def iter_current_units() -> Iterator[UnitRow]:
    """The two-tier tree: all provinces (by code), then all communes (by province, then code)."""
    # Imported here: vietnam_provinces.lookup builds ~3,300 objects on import, a cost callers
    # that only need the legacy tree (or only this module's types) should not pay.
    from vietnam_provinces import Province, VietNamDivisionType, Ward

    for province in sorted(Province.iter_all(), key=lambda p: int(p.code)):
        name = province.name
        # The package drops "Tỉnh" but keeps "Thành phố"; restore it so names carry their type
        # prefix as in the legacy tree and both trees display alike.
        if province.division_type is VietNamDivisionType.TINH and not name.startswith("Tỉnh "):
            name = f"Tỉnh {name}"
        yield UnitRow(CURRENT_TREE, "province", f"{int(province.code):02d}", name, None)

    for ward in sorted(Ward.iter_all(), key=lambda w: (int(w.province_code), int(w.code))):
        yield UnitRow(
            CURRENT_TREE,
            "commune",
            f"{int(ward.code):05d}",
            ward.name,
            f"{int(ward.province_code):02d}",
        )


# --- the legacy (pre-2025) tree --------------------------------------------------------------


def legacy_csv_path() -> Path:
    """The legacy CSV shipped inside the package (the shared reference folder is not on users'
    machines)."""
    return Path(__file__).with_name("data") / "admin-units-pre2025.csv"


def iter_legacy_units() -> list[UnitRow]:
    # newline="" as the csv module requires, so quoted fields with line breaks parse correctly.
    with legacy_csv_path().open(encoding="utf-8", newline="") as stream:
        return read_legacy_csv(stream)


def read_legacy_csv(stream: TextIO, *, tree: str = LEGACY_TREE) -> list[UnitRow]:
    """Parse and validate a ``level,code,name,parent_code`` CSV of the three-tier tree.

    Raises :class:`UnitImportError` listing up to ``MAX_ERRORS`` problems by line number.
    Returns provinces, then districts, then communes (file order within a level), so the rows
    can be inserted as they come with parents already present. Parents may appear anywhere in
    the file: existence is checked after the whole file is read.
    """
    reader = csv.reader(stream)
    errors: list[tuple[int, str]] = []
    parsed: list[tuple[int, UnitRow]] = []
    seen: dict[tuple[str, str], int] = {}  # (level, code) -> line of first occurrence

    try:
        _check_header(next(reader, None))
        for fields in reader:
            if not any(cell.strip() for cell in fields):
                continue  # blank lines (a trailing newline, a spreadsheet's empty row)
            line = reader.line_num
            result = _parse_fields(fields, tree)
            if isinstance(result, str):
                errors.append((line, result))
                continue
            key = (result.level, result.code)
            if key in seen:
                reason = f"duplicate {result.level} {result.code} (first on line {seen[key]})"
                errors.append((line, reason))
                continue
            seen[key] = line
            parsed.append((line, result))
    except (csv.Error, UnicodeDecodeError) as exc:
        # Unreadable input: nothing after this point can be trusted, so stop here.
        errors.append((reader.line_num + 1, f"unreadable CSV: {exc}"))

    errors.extend(_missing_parents(parsed, seen))
    if errors:
        errors.sort(key=lambda error: error[0])
        raise UnitImportError(errors[:MAX_ERRORS], total=len(errors))

    rank = {level: index for index, level in enumerate(LEVELS)}
    return sorted((row for _, row in parsed), key=lambda row: rank[row.level])


def _check_header(header: list[str] | None) -> None:
    expected = ",".join(CSV_HEADER)
    if header is None:
        raise UnitImportError([(1, f"empty file, expected header {expected}")])
    cells = [cell.strip() for cell in header]
    if cells:
        cells[0] = cells[0].removeprefix("\ufeff")  # Excel's UTF-8 BOM
    if tuple(cells) != CSV_HEADER:
        # Without the header every later line would be read wrongly: fail at once.
        raise UnitImportError([(1, f"missing header: expected {expected}, got {','.join(cells)}")])


def _parse_fields(fields: list[str], tree: str) -> UnitRow | str:
    """One record as a row, or the reason it is bad (parent existence is checked later)."""
    if len(fields) != len(CSV_HEADER):
        return f"expected {len(CSV_HEADER)} fields, got {len(fields)}"
    level, code, name, parent = (cell.strip() for cell in fields)
    if level not in CODE_WIDTH:
        return f"unknown level {level!r} (expected one of {', '.join(LEVELS)})"
    width = CODE_WIDTH[level]
    if not _is_code(code, width):
        return f"{level} code {code!r} is not {width} digits"
    if not name:
        return f"{level} {code} has no name"
    if level == "province":
        if parent:
            return f"province {code} has a parent ({parent!r}); provinces have none"
        return UnitRow(tree, level, code, name, None)
    parent_level = LEGACY_PARENT_LEVEL[level]
    parent_width = CODE_WIDTH[parent_level]
    if not _is_code(parent, parent_width):
        return f"{level} {code}: parent {parent!r} is not a {parent_width}-digit {parent_level}"
    return UnitRow(tree, level, code, name, parent)


def _is_code(value: str, width: int) -> bool:
    # isascii() too: str.isdigit() accepts other scripts' digits and superscripts.
    return len(value) == width and value.isascii() and value.isdigit()


def _missing_parents(
    parsed: list[tuple[int, UnitRow]], seen: dict[tuple[str, str], int]
) -> Iterator[tuple[int, str]]:
    for line, row in parsed:
        if row.parent_code is None:
            continue
        parent_level = LEGACY_PARENT_LEVEL[row.level]
        if (parent_level, row.parent_code) not in seen:
            yield line, f"{row.level} {row.code}: parent {parent_level} {row.parent_code} not found"


# --- selection --------------------------------------------------------------------------------


def subtree(rows: Iterable[UnitRow], level: str, code: str) -> list[UnitRow]:
    """The unit ``(level, code)`` and all its descendants, in the order of ``rows``.

    For demo data, e.g. ``subtree(iter_legacy_units(), "province", "45")`` is Quảng Trị with its
    districts and communes. ``rows`` should hold one tree; raises ``LookupError`` if the unit is
    absent and ``ValueError`` if several trees hold it.
    """
    rows = list(rows)
    roots = [row for row in rows if row.level == level and row.code == code]
    if not roots:
        raise LookupError(f"no {level} with code {code!r}")
    trees = {row.tree for row in roots}
    if len(trees) > 1:
        raise ValueError(f"{level} {code} is in several trees ({', '.join(sorted(trees))})")
    if len(roots) > 1:
        raise ValueError(f"{level} {code} appears {len(roots)} times")
    (root,) = roots

    children: dict[tuple[str | None, str | None], list[UnitRow]] = {}
    for row in rows:
        if row.tree == root.tree and row.parent_code is not None:
            children.setdefault((row.parent_level, row.parent_code), []).append(row)

    selected = {root}
    pending = [root]
    while pending:
        unit = pending.pop()
        for child in children.get((unit.level, unit.code), ()):
            selected.add(child)
            pending.append(child)
    return [row for row in rows if row in selected]
