"""The map of the 2025 merger: which 2025 commune each pre-2025 commune became.

On 1 July 2025 the districts were abolished and the 10,051 communes merged into 3,321 (the
rule, with its legal sources, is in docs/domain.md). A record filed before keeps its pre-2025
commune; the map says which 2025 commune answers for it now. An operator loads the official
list as a CSV (``ocop units map FILE``)::

    # comment lines start with '#'
    old_code,new_code,old_name,new_name
    19333,19333,Phường 1,Phường Đông Hà

``old_code`` is a commune of the pre-2025 tree, ``new_code`` one of the 2025 tree; the names are
for the operator's eye only (not checked, not kept). Each old commune has one successor. No
database code here: the registration service stores the pairs and tells the other services.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TextIO

from .lookup import unit
from .sources import CURRENT_TREE, LEGACY_TREE

HEADER: Final = ("old_code", "new_code")
NAMES: Final = ("old_name", "new_name")
MAX_PROBLEMS: Final = 20


@dataclass(frozen=True, slots=True)
class Succession:
    """A pre-2025 commune and the 2025 commune it merged into, with both provinces."""

    old_province: str
    old_code: str
    new_province: str
    new_code: str


@dataclass(frozen=True, slots=True)
class Problem:
    """What is wrong on a line, as a catalogue key (``unit_map.<code>``) and its values."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)


class MapError(ValueError):
    """The file cannot be loaded; ``problems`` lists the first :data:`MAX_PROBLEMS` by line."""

    def __init__(self, problems: list[Problem], total: int) -> None:
        self.problems = problems
        self.total = total
        super().__init__("; ".join(f"line {p.line}: {p.code}" for p in problems))


def sample_path() -> Path:
    """The sample map shipped with the code (Quảng Trị and Quảng Bình only, NOT the official
    list): for demonstrations and tests."""
    return Path(__file__).with_name("data") / "merger-sample.csv"


def _rows(stream: TextIO) -> Iterator[tuple[int, list[str]]]:
    """The file's records with their line numbers, less blank and ``#`` comment lines."""
    reader = csv.reader(stream)
    for fields in reader:
        cells = [cell.strip() for cell in fields]
        if not any(cells) or cells[0].startswith("#"):
            continue
        yield reader.line_num, cells


def read_map(stream: TextIO) -> list[Succession]:
    """Parse and check a map (:class:`MapError` listing the problems; nothing is half-read)."""
    problems: list[Problem] = []
    pairs: list[Succession] = []
    first_line: dict[str, int] = {}
    rows = _rows(stream)
    try:
        header = next(rows, None)
        if header is None:
            raise MapError([Problem(1, "empty")], 1)
        line, cells = header
        cells[0] = cells[0].removeprefix("\ufeff")  # a spreadsheet's UTF-8 BOM
        if tuple(cells[:2]) != HEADER or tuple(cells[2:]) not in ((), NAMES[:1], NAMES):
            raise MapError([Problem(line, "header", {"got": ",".join(cells)})], 1)
        for line, cells in rows:
            found = _succession(line, cells, first_line)
            if isinstance(found, Problem):
                problems.append(found)
            else:
                first_line[found.old_code] = line
                pairs.append(found)
    except (csv.Error, UnicodeDecodeError) as exc:
        problems.append(Problem(len(pairs) + len(problems) + 1, "unreadable", {"why": str(exc)}))
    if not problems and not pairs:
        problems.append(Problem(1, "no_pairs"))
    if problems:
        raise MapError(problems[:MAX_PROBLEMS], len(problems))
    return pairs


def _succession(line: int, cells: list[str], seen: dict[str, int]) -> Succession | Problem:
    if not len(HEADER) <= len(cells) <= len(HEADER) + len(NAMES):
        return Problem(line, "fields", {"count": len(cells)})
    old_code, new_code = cells[:2]
    old = unit(LEGACY_TREE, "commune", old_code)
    if old is None:
        return Problem(line, "old_unknown", {"code": old_code})
    new = unit(CURRENT_TREE, "commune", new_code)
    if new is None:
        return Problem(line, "new_unknown", {"code": new_code})
    if old_code in seen:
        return Problem(line, "duplicate", {"code": old_code, "first": seen[old_code]})
    district = unit(LEGACY_TREE, "district", old.parent_code)
    return Succession(
        old_province=(district.parent_code or "") if district else "",
        old_code=old_code,
        new_province=new.parent_code or "",
        new_code=new_code,
    )
