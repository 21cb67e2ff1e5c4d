"""Loading and validating the Decision 26/2026 rubric data (shared.rubrics.loader)."""

from __future__ import annotations

import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shared.rubrics import (
    DEFAULT_VERSION,
    Rubric,
    RubricError,
    Sheet,
    available_versions,
    load_rubric,
    load_rubric_dir,
    load_sheet_file,
)
from shared.rubrics.loader import DATA_DIR

SOURCE = DATA_DIR / DEFAULT_VERSION

# README "Counts per set": criteria, options, *** / **** / ***** marks, knockout, stop rules.
README_COUNTS: dict[str, tuple[int, int, int, int, int, int, int]] = {
    "01": (32, 103, 7, 12, 3, 2, 1),
    "02": (31, 99, 7, 13, 6, 2, 1),
    "03": (32, 102, 7, 14, 6, 2, 1),
    "04": (32, 102, 7, 14, 6, 2, 1),
    "05": (31, 100, 8, 13, 5, 2, 1),
    "06": (32, 104, 8, 13, 5, 2, 1),
    "07": (32, 102, 8, 14, 6, 3, 1),
    "08": (32, 103, 8, 14, 6, 3, 1),
    "09": (31, 101, 8, 14, 6, 3, 1),
    "10": (32, 104, 8, 13, 6, 3, 1),
    "11": (32, 104, 8, 12, 3, 3, 1),
    "12": (32, 104, 8, 14, 3, 3, 1),
    "13": (34, 107, 8, 10, 3, 3, 1),
    "14": (29, 96, 8, 10, 3, 3, 0),
    "15": (29, 96, 8, 13, 3, 2, 1),
    "16": (29, 91, 7, 9, 4, 1, 1),
    "17": (29, 95, 8, 12, 3, 1, 1),
    "18": (31, 98, 7, 10, 3, 2, 0),
    "19": (30, 98, 7, 10, 3, 2, 1),
    "20": (30, 97, 7, 10, 3, 2, 1),
    "21": (28, 90, 7, 9, 4, 2, 0),
    "22": (28, 90, 6, 8, 4, 2, 0),
    "23": (26, 86, 5, 11, 4, 1, 0),
    "24": (26, 87, 4, 7, 5, 1, 0),
    "25": (25, 84, 4, 9, 3, 1, 0),
    "26": (32, 92, 1, 2, 0, 0, 0),
}

# README "Current result": the 8 warnings are anomalies a–e (d occurs in four sheets).
README_WARNINGS = {
    ("04-honey-syrups-other-agri-food.json", 8, "part A group 1 criterion 1.2 option a"),
    ("04-honey-syrups-other-agri-food.json", 8, "part C group 7 criterion 7 option c"),
    ("07-processed-vegetables-fruits-nuts.json", 8, "part A group 1 criterion 1.2 option a"),
    ("10-other-spices.json", 8, "part A group 1 criterion 1.2 option a"),
    ("11-tea.json", 8, "part A group 1 criterion 1.2 option a"),
    ("11-tea.json", 8, "part C group 6 criterion 6.1.1 option b"),
    ("23-flowers.json", 8, "part C group 9"),
    ("26-community-tourism.json", 3, "part A"),
}

Json = dict[str, Any]


@pytest.fixture(scope="module")
def rubric() -> Rubric:
    return load_rubric()


@pytest.fixture
def copy_dir(tmp_path: Path) -> Path:
    """A writable copy of the shipped data, named like the version."""
    target = tmp_path / DEFAULT_VERSION
    shutil.copytree(SOURCE, target)
    for path in target.iterdir():
        path.chmod(0o644)
    return target


def edit(directory: Path, name: str, change: Callable[[Json], object]) -> Path:
    """Apply ``change`` to the decoded JSON of ``name`` and write it back."""
    path = directory / name
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def criterion(data: Json, code: str) -> Json:
    for part in data["parts"]:
        for group in part["groups"]:
            for crit in group["criteria"]:
                if crit["code"] == code:
                    return crit
    raise KeyError(code)


def group(data: Json, code: str) -> Json:
    return next(g for p in data["parts"] for g in p["groups"] if g["code"] == code)


def refused(directory: Path) -> str:
    with pytest.raises(RubricError) as info:
        load_rubric_dir(directory)
    return str(info.value)


# ------------------------------------------------------------------- shipped data


def test_all_26_sheets_load(rubric: Rubric) -> None:
    assert rubric.version == DEFAULT_VERSION
    assert rubric.set_codes == tuple(f"{i:02d}" for i in range(1, 27))
    assert [s.set_code for s in rubric.catalog.sets] == list(rubric.set_codes)
    for sheet in rubric.sheets:
        assert [p.code for p in sheet.parts] == ["A", "B", "C"]
        assert [p.max_points for p in sheet.parts] == [40, 25, 35]
        assert sum(c.max_points for c in sheet.criteria) == 100


def test_counts_match_readme_table(rubric: Rubric) -> None:
    for sheet in rubric.sheets:
        options = [o for c in sheet.criteria for o in c.options]
        marks = [sum(o.min_star == n for o in options) for n in (3, 4, 5)]
        rules = [sum(r.type == t for r in sheet.rules) for t in ("knockout", "stop")]
        found = (len(sheet.criteria), len(options), *marks, *rules)
        assert found == README_COUNTS[sheet.set_code], sheet.set_code


def test_optional_key_totals_match_readme(rubric: Rubric) -> None:
    criteria = [c for s in rubric.sheets for c in s.criteria]
    assert sum(c.implicit for c in criteria) == 139
    assert sum(c.is_conditional for c in criteria) == 25
    assert sum(bool(c.cases) for c in criteria) == 3
    assert sum(not c.options_printed for c in criteria) == 22
    assert sum(len(g.subgroups) for s in rubric.sheets for g in s.groups) == 4


def test_readme_warnings_are_reported_not_raised(rubric: Rubric) -> None:
    found = {(w.file, w.rule, w.where) for w in rubric.warnings}
    assert found == README_WARNINGS
    assert all(w.level == "WARN" for w in rubric.warnings)
    assert "printed '13'" in " ".join(str(w) for w in rubric.warnings)


def test_anomalies_are_recorded_as_the_readme_says(rubric: Rubric) -> None:
    tourism_a = rubric.sheet("26").part("A")
    assert (tourism_a.max_points, tourism_a.heading_points) == (40, 35)
    option = rubric.sheet("04").criterion("7").option("c")
    assert option is not None
    assert (option.points, option.points_as_printed) == (3, "13")
    flowers_9 = next(g for g in rubric.sheet("23").groups if g.code == "9")
    assert (flowers_9.max_points, flowers_9.max_points_as_printed) == (4, "4\n1")


def test_cache_returns_the_same_object() -> None:
    assert load_rubric() is load_rubric(DEFAULT_VERSION)
    assert DEFAULT_VERSION in available_versions()


@pytest.mark.parametrize("version", ["qd99-2099", "../qd26-2026", "", "QD26"])
def test_unknown_or_unsafe_version_is_refused(version: str) -> None:
    with pytest.raises(RubricError, match="rubric version"):
        load_rubric(version)


def test_each_file_loads_on_its_own(rubric: Rubric) -> None:
    for sheet in rubric.sheets:
        assert load_sheet_file(SOURCE / sheet.file) == sheet


def test_sheet_helpers(rubric: Rubric) -> None:
    tea = rubric.sheet("11")
    codes = [c.code for c in tea.criteria]
    assert codes[:3] == ["1.1", "1.2", "1.3"]
    assert codes.index("6.1.1") < codes.index("6.2.3")
    assert tea.criterion("6.2.3").parent == "6.2"
    assert tea.criterion("6.2.3").part_code == "C"
    assert tea.criterion("6.2.3").group_code == "6"
    assert tea.criterion_codes == tuple(codes)
    with pytest.raises(KeyError, match=r"no criterion '9\.9'"):
        tea.criterion("9.9")
    with pytest.raises(KeyError):
        rubric.sheet("27")
    tourism = rubric.sheet("26").criterion("8")
    assert [c.option_codes for c in tourism.cases] == [("a", "b"), ("c", "d")]
    assert tourism.option("d") is not None and tourism.option("d").case == "b"  # type: ignore[union-attr]
    assert rubric.sheet("01").criterion("2.4").options == ()
    assert rubric.sheet("01").criterion("5.2").is_conditional


def test_catalog(rubric: Rubric) -> None:
    catalog = rubric.catalog
    assert [s.code for s in catalog.sectors] == ["I", "II", "III", "IV", "V", "VI"]
    assert sum(len(s.groups) for s in catalog.sectors) == 17
    exempt = [p.set_code for p in catalog.sets if not p.requires_5_samples]
    assert exempt == ["26"]
    tea = catalog.product_set("11")
    assert (tea.sector, tea.group_code, tea.group, tea.subgroup_code) == ("I", "5", "Chè", "a")
    assert tea.file == "11-tea.json"
    assert [b.stars for b in catalog.star_bands] == [5, 4, 3, 2, 1]


def test_sheets_are_immutable(rubric: Rubric) -> None:
    sheet: Sheet = rubric.sheet("01")
    with pytest.raises(AttributeError):
        sheet.name = "x"  # type: ignore[misc]
    assert isinstance(sheet.parts, tuple)
    assert hash(sheet.criterion("1.1")) == hash(sheet.criterion("1.1"))
    copy = pickle.loads(pickle.dumps(sheet))
    assert copy == sheet
    assert copy.criterion("5.2") == sheet.criterion("5.2")


# ---------------------------------------------------------------- corrupted copies


def test_unmodified_copy_loads(copy_dir: Path) -> None:
    assert len(load_rubric_dir(copy_dir).sheets) == 26


def test_changed_group_maximum(copy_dir: Path) -> None:
    name = "06-processed-rice-cereals.json"
    edit(copy_dir, name, lambda d: group(d, "6").update(max_points=16))
    message = refused(copy_dir)
    assert (
        f"{name}: part C: group maxima sum to 36, but max_points is 35 "
        "(rule 4: group maxima sum to the part maximum)"
    ) in message
    assert (
        f"{name}: part C group 6: criterion maxima sum to 15, but max_points is 16 (rule 5:"
    ) in message
    with pytest.raises(RubricError, match="part C group 6: criterion maxima"):
        load_sheet_file(copy_dir / name)


def test_changed_implicit_criterion_maximum(copy_dir: Path) -> None:
    name = "06-processed-rice-cereals.json"
    edit(copy_dir, name, lambda d: criterion(d, "8").update(max_points=4))
    message = refused(copy_dir)
    assert f"{name}: part C group 8: criterion maxima sum to 4, but max_points is 5" in message
    assert f"{name}: part C group 8: an implicit criterion must be" in message
    assert f"{name}: part C group 8 criterion 8 option c: points 5 outside 0..4 (rule 7" in message


def test_bad_option_code(copy_dir: Path) -> None:
    name = "01-fresh-vegetables-fruits.json"
    edit(copy_dir, name, lambda d: criterion(d, "1.1")["options"][1].update(code="x"))
    assert (
        f"{name}: part A group 1 criterion 1.1: option codes must run a, b, c; got a, x, c (rule 7:"
    ) in refused(copy_dir)


def test_star_six(copy_dir: Path) -> None:
    name = "01-fresh-vegetables-fruits.json"
    edit(copy_dir, name, lambda d: criterion(d, "1.3")["options"][2].update(min_star=6))
    assert (
        f"{name}: part A group 1 criterion 1.3 option c: min_star 6 is not null, 3, 4 or 5 (rule 7"
    ) in refused(copy_dir)


def test_case_option_without_declared_case(copy_dir: Path) -> None:
    name = "26-community-tourism.json"
    edit(copy_dir, name, lambda d: criterion(d, "8")["options"][2].update(case="z"))
    message = refused(copy_dir)
    assert (
        f"{name}: part C group 8 criterion 8 option c: case 'z' is not declared "
        "(declared: a, b) (rule 11: every option of a criterion with cases belongs to a "
        "declared case)"
    ) in message
    assert "criterion 8 case b: option_codes are c, d, but the options of this case are d" in (
        message
    )


def test_case_option_missing_its_case(copy_dir: Path) -> None:
    name = "26-community-tourism.json"
    edit(copy_dir, name, lambda d: criterion(d, "9")["options"][0].pop("case"))
    assert (
        f"{name}: part C group 9 criterion 9 option a: has no case (declared: a, b) (rule 11"
    ) in refused(copy_dir)


def test_every_conditional_criterion_says_when_it_applies(rubric: Rubric) -> None:
    for sheet in rubric.sheets:
        for crit in sheet.criteria:
            assert (crit.applies_if is None) == (crit.applies_when is None), crit.code
    veg = rubric.sheet("01").criterion("5.2").applies_when
    assert veg is not None and (veg.criterion, veg.options) == ("5.1", ("b", "c", "d", "e"))


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: c.pop("applies_when"),
            "criterion 5.2: applies_if is given without applies_when (rule 14",
        ),
        (
            lambda c: c.pop("applies_if"),
            "criterion 5.2: applies_when is given without applies_if (rule 14",
        ),
        (
            lambda c: c["applies_when"].update(criterion="6.1"),
            "criterion 5.2 applies_when: criterion '6.1' is not an earlier criterion of the "
            "sheet (rule 14: a conditional criterion names an earlier criterion and some of "
            "its answers)",
        ),
        (
            lambda c: c["applies_when"].update(criterion="5.2"),
            "criterion 5.2 applies_when: criterion '5.2' is not an earlier criterion",
        ),
        (
            lambda c: c["applies_when"].update(options=["b", "z"]),
            "criterion 5.2 applies_when: z not among 5.1's answers (a, b, c, d, e) (rule 14",
        ),
        (
            lambda c: c["applies_when"].update(options=[]),
            "criterion 5.2 applies_when: options must be some, but not all, of 5.1's answers",
        ),
        (
            lambda c: c["applies_when"].update(options=list("abcde")),
            "criterion 5.2 applies_when: options must be some, but not all, of 5.1's answers",
        ),
        (
            lambda c: c["applies_when"].update(options=["b", "b"]),
            "criterion 5.2 applies_when: options are repeated (rule 14",
        ),
        (
            lambda c: c["applies_when"].update(option=["b"]),
            "criterion 5.2 applies_when: unknown key(s) option (rule 1",
        ),
    ],
)
def test_conditions_are_checked(
    copy_dir: Path, change: Callable[[Json], object], expected: str
) -> None:
    name = "01-fresh-vegetables-fruits.json"
    edit(copy_dir, name, lambda d: change(criterion(d, "5.2")))
    assert f"{name}: part B group 5 {expected}" in refused(copy_dir)


def test_a_condition_may_rest_on_a_yes_no_criterion(copy_dir: Path) -> None:
    name = "01-fresh-vegetables-fruits.json"
    condition = {"criterion": "2.4", "options": ["yes"]}
    edit(copy_dir, name, lambda d: criterion(d, "5.2").update(applies_when=condition))
    crit = load_rubric_dir(copy_dir).sheet("01").criterion("5.2")
    assert crit.applies_when is not None and crit.applies_when.options == ("yes",)


def test_catalog_sample_flag_wrong(copy_dir: Path) -> None:
    def flip(data: Json) -> None:
        data["sets"][4]["requires_5_samples"] = False

    edit(copy_dir, "catalog.json", flip)
    message = refused(copy_dir)
    assert (
        "catalog.json: set 05: requires_5_samples is false, but 05-fast-food.json says true "
        "(rule 12: catalog agrees with the sheets)"
    ) in message
    assert "catalog.json: set 05: requires_5_samples is false, but only sector VI is exempt" in (
        message
    )


def test_sheet_sample_flag_wrong(copy_dir: Path) -> None:
    edit(copy_dir, "26-community-tourism.json", lambda d: d.update(requires_5_samples=True))
    assert (
        "catalog.json: set 26: requires_5_samples is false, but 26-community-tourism.json "
        "says true (rule 12"
    ) in refused(copy_dir)


def test_catalog_name_disagrees(copy_dir: Path) -> None:
    edit(copy_dir, "catalog.json", lambda d: d["sets"][10].update(name="Chè"))
    assert "catalog.json: set 11: name is 'Chè', but 11-tea.json says 'Chè tươi, chè chế biến'" in (
        refused(copy_dir)
    )


def test_catalog_star_bands_must_match_article_3(copy_dir: Path) -> None:
    edit(copy_dir, "catalog.json", lambda d: d["star_bands"][1].update(min_points=75))
    assert "catalog.json: star_bands: must be 5★ [90, 100]" in refused(copy_dir)


def test_part_maximum_and_total(copy_dir: Path) -> None:
    name = "02-fresh-meat-seafood-eggs-milk.json"
    edit(copy_dir, name, lambda d: d["parts"][0].update(max_points=41, heading_points=41))
    message = refused(copy_dir)
    assert f"{name}: part A: max_points is 41, expected 40 (rule 2:" in message
    assert f"{name}: max_points is 100 and parts sum to 101; both must be 100" in message
    assert message.startswith("3 problems:\n")


def test_subgroup_sum(copy_dir: Path) -> None:
    name = "13-coffee-cocoa.json"
    edit(copy_dir, name, lambda d: group(d, "6")["subgroups"][0].update(max_points=1))
    assert f"{name}: part C group 6 subgroup 6.1: criterion maxima sum to" in refused(copy_dir)


def test_wrong_version(copy_dir: Path) -> None:
    edit(copy_dir, "03-rice-cereals-grains.json", lambda d: d.update(rubric_version="qd1-2019"))
    assert "03-rice-cereals-grains.json: rubric_version is 'qd1-2019', expected 'qd26-2026'" in (
        refused(copy_dir)
    )


def test_injected_absolute_path(copy_dir: Path) -> None:
    def inject(data: Json) -> None:
        criterion(data, "1.1")["note"] = "see /home/someone/rubrics/check.py"

    edit(copy_dir, "05-fast-food.json", inject)
    assert "05-fast-food.json: line" in refused(copy_dir)
    assert "absolute path '/home/' (rule 13" in refused(copy_dir)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: criterion(d, "1.1")["options"][0].update(points="1"),
            "part A group 1 criterion 1.1 option a: points must be an integer, got a string "
            "(rule 7",
        ),
        (
            lambda d: criterion(d, "1.1")["options"][0].update(points=True),
            "option a: points must be an integer, got a boolean",
        ),
        (
            lambda d: criterion(d, "1.1")["options"][0].update(points=1.5),
            "option a: points must be an integer, got a number",
        ),
        (
            lambda d: criterion(d, "1.1")["options"][0].update(min_stars=3),
            "part A group 1 criterion 1.1 option a: unknown key(s) min_stars (rule 1",
        ),
        (
            lambda d: criterion(d, "1.1").pop("name_en"),
            "part A group 1 criterion 1.1: missing key(s) name_en",
        ),
        (lambda d: d.update(parts={}), "parts must be a list, got an object"),
        (
            lambda d: d["rules"][0].update(type="warning"),
            "rule #1: type must be knockout or stop, got 'warning'",
        ),
        (
            lambda d: d["rules"][0].update(scope="9.9"),
            "rule #1: scope '9.9' is neither 'sheet' nor a code",
        ),
        (lambda d: d["notes"].pop(), "notes: notes must list the texts of rules"),
        (
            lambda d: criterion(d, "2.4")["options"].append(
                {"code": "a", "text": "Có", "points": 1, "min_star": None}
            ),
            "criterion 2.4: options_printed is false but options are listed",
        ),
        (
            lambda d: criterion(d, "1.2").update(code="2.9"),
            "part A group 1 criterion 2.9: code must start with 1.",
        ),
    ],
)
def test_schema_errors_name_the_place(
    copy_dir: Path, change: Callable[[Json], object], expected: str
) -> None:
    name = "01-fresh-vegetables-fruits.json"
    edit(copy_dir, name, change)
    message = refused(copy_dir)
    assert message.startswith(name) or f"\n{name}" in message
    assert expected in message


def test_invalid_json_and_duplicate_keys(copy_dir: Path) -> None:
    path = copy_dir / "01-fresh-vegetables-fruits.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('"max_points": 100', '"max_points": 100, "max_points": 99', 1))
    with pytest.raises(RubricError, match="duplicate key 'max_points'"):
        load_sheet_file(path)
    path.write_text(text.replace('"max_points": 100', '"max_points": NaN', 1))
    with pytest.raises(RubricError, match=r"01-fresh-vegetables-fruits\.json: invalid JSON"):
        load_sheet_file(path)
    path.write_text(text[:-10])
    with pytest.raises(RubricError, match="invalid JSON"):
        load_sheet_file(path)


def test_missing_and_unlisted_files(copy_dir: Path) -> None:
    (copy_dir / "24-ornamental-plants.json").rename(copy_dir / "24-plants.json")
    message = refused(copy_dir)
    assert "24-plants.json: set file is not listed in catalog.json" in message
    assert "24-ornamental-plants.json: set file listed in catalog.json is missing" in message


def test_catalog_must_list_26_sets(copy_dir: Path) -> None:
    edit(copy_dir, "catalog.json", lambda d: d["sets"].pop())
    message = refused(copy_dir)
    assert "catalog.json: counts: sets: 25 listed, 26 recorded, expected 26" in message
    assert "26-community-tourism.json: set file is not listed in catalog.json" in message


def test_star_mark_order_is_a_warning_only(copy_dir: Path) -> None:
    name = "01-fresh-vegetables-fruits.json"
    # 4.1: b *** (2 points), c **** (3 points); swap the marks so the higher sits lower.
    edit(copy_dir, name, lambda d: criterion(d, "4.1")["options"][1].update(min_star=4))
    edit(copy_dir, name, lambda d: criterion(d, "4.1")["options"][2].update(min_star=3))
    warnings = [str(w) for w in load_rubric_dir(copy_dir).warnings if w.rule == 9]
    assert warnings == [
        f"{name}: part B group 4 criterion 4.1: option b (4★, 2 points) scores less than "
        "option c (3★, 3 points) (rule 9: higher star mark on a lower-scoring option)"
    ]
