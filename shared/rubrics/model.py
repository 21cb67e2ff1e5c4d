"""Immutable model of the OCOP scoring sheets (Decision 26/2026/QĐ-TTg, Appendices I and II).

The model mirrors the JSON schema documented in ``data/<version>/README.md``: a
:class:`Sheet` has three :class:`Part` objects (A, B, C), each with numbered :class:`Group`
objects holding the scorable :class:`Criterion` leaves, each with lettered :class:`Option`
objects. :class:`Catalog` mirrors ``catalog.json`` (Appendix I).

Every object is a frozen, slotted dataclass and every collection is a tuple, so a loaded
rubric can be cached and shared between threads and requests without defensive copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

#: Part maxima fixed by Article 3 khoản 1 of Decision 26/2026.
PART_MAXIMA: tuple[tuple[str, int], ...] = (("A", 40), ("B", 25), ("C", 35))
SHEET_MAXIMUM = 100

#: Star bands of Article 3 khoản 3: (stars, lowest total). Each band is half-open
#: [lowest, next band's lowest), except 5 stars which is [90, 100].
STAR_BANDS: tuple[tuple[int, int], ...] = ((5, 90), (4, 70), (3, 50), (2, 30), (1, 0))

#: Star levels a ``min_star`` mark can name (the sheet legend: ``***``, ``****``, ``*****``).
MARK_LEVELS: tuple[int, ...] = (3, 4, 5)

RuleType = Literal["knockout", "stop"]


@dataclass(frozen=True, slots=True)
class Option:
    """One ``□`` box of a criterion. ``code`` is a, b, c… in sheet order."""

    code: str
    text: str
    points: int
    #: Minimum star level this option marks (3, 4 or 5), ``None`` if unmarked.
    min_star: int | None = None
    #: Code of the alternative case the option belongs to (set 26 only).
    case: str | None = None
    #: Label of that case, as printed.
    applies_if: str | None = None
    #: The points cell as printed, where it differs from ``points`` (README anomalies b–d).
    points_as_printed: str | None = None


@dataclass(frozen=True, slots=True)
class Case:
    """An alternative block of options ("Lựa chọn một trong hai trường hợp sau")."""

    code: str
    label: str
    option_codes: tuple[str, ...]
    max_points: int


@dataclass(frozen=True, slots=True)
class Condition:
    """When a conditional criterion applies (``applies_when`` in the data).

    The criterion applies when the answer to the earlier criterion ``criterion`` of the same
    sheet is one of ``options`` (its option codes, or yes/no for a criterion printed without
    options); otherwise it does not apply. See :mod:`shared.rubrics.assessment`.
    """

    criterion: str
    options: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Criterion:
    """A scorable single-choice item; the answer is one option (or yes/no, see assessment)."""

    code: str
    name: str
    name_en: str
    max_points: int
    options: tuple[Option, ...]
    part_code: str
    group_code: str
    #: Condition text of a conditional criterion, as printed (5.2 in sets 1–25: "Chỉ áp dụng
    #: khi có câu chuyện sản phẩm"); ``None`` if the criterion always applies.
    applies_if: str | None = None
    #: The same condition in a form a program can apply; present exactly with ``applies_if``.
    applies_when: Condition | None = None
    cases: tuple[Case, ...] = ()
    case_selection: str | None = None
    #: ``False`` where the sheet prints the points but no options (bilingual label criterion).
    options_printed: bool = True
    #: ``True`` where the group is scored directly and this is its only criterion.
    implicit: bool = False
    #: Sub-group code in three-level sheets (sets 11 and 13), e.g. ``"6.1"``.
    parent: str | None = None
    description: str | None = None
    note: str | None = None
    #: Highest option points, present only if it differs from the printed ``max_points``.
    option_max_points: int | None = None

    @property
    def is_conditional(self) -> bool:
        return self.applies_if is not None

    @property
    def option_codes(self) -> tuple[str, ...]:
        return tuple(o.code for o in self.options)

    def option(self, code: str) -> Option | None:
        """The option with ``code``, or ``None``."""
        for opt in self.options:
            if opt.code == code:
                return opt
        return None

    def case(self, code: str) -> Case | None:
        """The alternative case with ``code``, or ``None``."""
        for case in self.cases:
            if case.code == code:
                return case
        return None


@dataclass(frozen=True, slots=True)
class SubGroup:
    """Third level of sets 11 and 13 (group 6 split into 6.1 and 6.2)."""

    code: str
    name: str
    name_en: str
    max_points: int
    criterion_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Group:
    code: str
    name: str
    name_en: str
    max_points: int
    part_code: str
    criteria: tuple[Criterion, ...]
    subgroups: tuple[SubGroup, ...] = ()
    description: str | None = None
    note: str | None = None
    #: The value cell as printed where it holds several numbers (README anomaly e).
    max_points_as_printed: str | None = None


@dataclass(frozen=True, slots=True)
class Part:
    code: str
    name: str
    name_en: str
    max_points: int
    #: The "(NN Điểm)" of the part heading; differs from ``max_points`` only in set 26 part A.
    heading_points: int
    groups: tuple[Group, ...]


@dataclass(frozen=True, slots=True)
class Rule:
    """A knockout or stop rule printed on the sheet; ``scope`` is ``"sheet"`` or a code."""

    type: RuleType
    scope: str
    text: str


@dataclass(frozen=True, slots=True)
class Sheet:
    """One scoring sheet of Appendix II (one product set)."""

    rubric_version: str
    set_code: str
    name: str
    name_en: str
    requires_5_samples: bool
    parts: tuple[Part, ...]
    rules: tuple[Rule, ...]
    notes: tuple[str, ...] = ()
    max_points: int = SHEET_MAXIMUM
    legal_basis: str = ""
    sheet_title: str = ""
    sheet_classification: str = ""
    sector: str = ""
    sector_name: str = ""
    group: str = ""
    group_code: str = ""
    subgroup: str | None = None
    subgroup_code: str | None = None
    managing_ministries: tuple[str, ...] = ()
    star_legend: str | None = None
    #: Name of the file the sheet was read from (for messages); not part of equality.
    file: str = field(default="", compare=False)
    # Private lookup table; a plain dict (not a mappingproxy) keeps sheets picklable.
    _index: dict[str, Criterion] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        # Duplicate codes are a validation error, so keep the first rather than fail here.
        index: dict[str, Criterion] = {}
        for crit in self.criteria:
            index.setdefault(crit.code, crit)
        object.__setattr__(self, "_index", index)

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(g for p in self.parts for g in p.groups)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        """All scorable criteria, flat, in sheet order."""
        return tuple(c for p in self.parts for g in p.groups for c in g.criteria)

    @property
    def criterion_codes(self) -> tuple[str, ...]:
        return tuple(self._index)

    def criterion(self, code: str) -> Criterion:
        """The criterion with ``code``; ``KeyError`` if the sheet has none."""
        try:
            return self._index[code]
        except KeyError:
            raise KeyError(f"set {self.set_code} has no criterion {code!r}") from None

    def has_criterion(self, code: str) -> bool:
        return code in self._index

    def part(self, code: str) -> Part:
        for part in self.parts:
            if part.code == code:
                return part
        raise KeyError(f"set {self.set_code} has no part {code!r}")


@dataclass(frozen=True, slots=True)
class ProductSet:
    """One entry of ``catalog.json`` ``sets``: a product set and its Appendix I placement."""

    set_code: str
    file: str
    name: str
    name_en: str
    sheet_title: str
    appendix_i_name: str
    sector: str
    sector_name: str
    #: Appendix I group ("Nhóm") name and code; codes restart in each sector.
    group: str
    group_code: str
    subgroup_code: str | None
    managing_ministries: tuple[str, ...]
    #: Article 6 khoản 2 điểm d: five samples go with the dossier, except for tourism (set 26).
    requires_5_samples: bool


@dataclass(frozen=True, slots=True)
class CatalogSubgroup:
    code: str
    name: str
    set_code: str
    managing_ministries: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CatalogGroup:
    code: str
    name: str
    name_en: str
    set_codes: tuple[str, ...]
    subgroups: tuple[CatalogSubgroup, ...]
    #: Present only for groups without sub-groups (the sub-groups carry their own).
    managing_ministries: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Sector:
    code: str
    name: str
    name_en: str
    groups: tuple[CatalogGroup, ...]


@dataclass(frozen=True, slots=True)
class StarBand:
    stars: int
    min_points: int
    max_points: int
    max_inclusive: bool
    text: str


@dataclass(frozen=True, slots=True)
class Catalog:
    """``catalog.json``: Appendix I classification plus the sample rule and star bands."""

    rubric_version: str
    legal_basis: str
    sectors: tuple[Sector, ...]
    sets: tuple[ProductSet, ...]
    star_bands: tuple[StarBand, ...]
    sample_rule: str
    managing_ministry_footnote: str
    #: The ``counts`` object as recorded (sectors, groups, sets), checked by the loader.
    counts: tuple[tuple[str, int], ...] = ()
    file: str = field(default="", compare=False)

    def product_set(self, set_code: str) -> ProductSet:
        for product_set in self.sets:
            if product_set.set_code == set_code:
                return product_set
        raise KeyError(f"catalog has no set {set_code!r}")


@dataclass(frozen=True, slots=True)
class Rubric:
    """A whole rubric version: the catalogue and its sheets, in set order."""

    version: str
    catalog: Catalog
    sheets: tuple[Sheet, ...]
    #: WARN-level findings of the validator (printed figures that disagree with the data).
    warnings: tuple[Issue, ...] = ()

    @property
    def set_codes(self) -> tuple[str, ...]:
        return tuple(s.set_code for s in self.sheets)

    def sheet(self, set_code: str) -> Sheet:
        """The sheet of ``set_code`` (two digits, e.g. ``"06"``); ``KeyError`` if unknown."""
        for sheet in self.sheets:
            if sheet.set_code == set_code:
                return sheet
        raise KeyError(f"rubric {self.version} has no set {set_code!r}")


Level = Literal["ERROR", "WARN"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One validator finding; ``rule`` is the number of the README's validation rule."""

    level: Level
    rule: int
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.file}: {where}{self.message} (rule {self.rule}: {RULE_TITLES[self.rule]})"


#: Short titles of the README "Validation" rules, quoted in messages.
RULE_TITLES: dict[int, str] = {
    1: "files, required keys and structure",
    2: "parts A/B/C are 40/25/35 and sum to 100",
    3: "part heading points equal the value column",
    4: "group maxima sum to the part maximum",
    5: "criterion maxima sum to the group or sub-group maximum",
    6: "criterion maximum equals its highest option",
    7: "option codes a, b, c…, integer points within 0..max, min_star in 3/4/5",
    8: "recorded points differ from the printed cell",
    9: "higher star mark on a lower-scoring option",
    11: "every option of a criterion with cases belongs to a declared case",
    12: "catalog agrees with the sheets",
    13: "no absolute file-system path",
    14: "a conditional criterion names an earlier criterion and some of its answers",
}
