"""Administrative-unit sources: both trees complete and consistent, bad CSVs rejected by line."""

from __future__ import annotations

import io
from collections import Counter

import pytest

from shared.units.sources import (
    CODE_WIDTH,
    CURRENT_TREE,
    LEGACY_TREE,
    MAX_ERRORS,
    UnitImportError,
    UnitRow,
    iter_current_units,
    iter_legacy_units,
    legacy_csv_path,
    read_legacy_csv,
    subtree,
)

HEADER = "level,code,name,parent_code\n"
# A minimal valid legacy tree the bad-CSV cases below start from (lines 2-4).
GOOD_BODY = (
    "province,45,Tỉnh Quảng Trị,\ndistrict,461,Thành phố Đông Hà,45\ncommune,19267,Phường 1,461\n"
)


@pytest.fixture(scope="module")
def legacy() -> list[UnitRow]:
    return iter_legacy_units()


@pytest.fixture(scope="module")
def current() -> list[UnitRow]:
    return list(iter_current_units())


def parse(text: str) -> list[UnitRow]:
    return read_legacy_csv(io.StringIO(text, newline=""))


def assert_parents_first(rows: list[UnitRow]) -> None:
    """Every parent exists, in the same tree, before its children (insertable in order)."""
    position = {(row.tree, row.level, row.code): index for index, row in enumerate(rows)}
    assert len(position) == len(rows), "(tree, level, code) must be unique"
    for index, row in enumerate(rows):
        if row.level == "province":
            assert row.parent_code is None
            continue
        parent = (row.tree, row.parent_level, row.parent_code)
        assert parent in position, f"{row} has no parent"
        assert position[parent] < index, f"{row} comes before its parent"


def assert_code_widths(rows: list[UnitRow]) -> None:
    for row in rows:
        assert row.code.isdigit() and len(row.code) == CODE_WIDTH[row.level], row


# --- legacy tree ------------------------------------------------------------------------------


def test_legacy_csv_ships_with_the_package() -> None:
    assert legacy_csv_path().is_file()


def test_legacy_counts(legacy: list[UnitRow]) -> None:
    assert Counter(row.level for row in legacy) == {
        "province": 63,
        "district": 691,
        "commune": 10051,
    }
    assert {row.tree for row in legacy} == {LEGACY_TREE}


def test_legacy_parents_exist_and_come_first(legacy: list[UnitRow]) -> None:
    assert_parents_first(legacy)
    assert_code_widths(legacy)
    # Three tiers: communes hang off districts, districts off provinces.
    assert {row.parent_level for row in legacy if row.level == "commune"} == {"district"}
    assert {row.parent_level for row in legacy if row.level == "district"} == {"province"}


def test_quang_tri_contains_dong_ha(legacy: list[UnitRow]) -> None:
    quang_tri = subtree(legacy, "province", "45")
    assert quang_tri[0] == UnitRow(LEGACY_TREE, "province", "45", "Tỉnh Quảng Trị", None)
    dong_ha = UnitRow(LEGACY_TREE, "district", "461", "Thành phố Đông Hà", "45")
    assert dong_ha in quang_tri

    districts = {row.code for row in quang_tri if row.level == "district"}
    communes = [row for row in quang_tri if row.level == "commune"]
    assert {row.parent_code for row in quang_tri if row.level == "district"} == {"45"}
    assert {row.parent_code for row in communes} <= districts
    assert any(row.parent_code == "461" for row in communes)
    assert_parents_first(quang_tri)

    # Nothing else sneaks in: the subtree is exactly the province's rows.
    everything_under_45 = [
        row
        for row in legacy
        if (row.level == "province" and row.code == "45")
        or (row.level == "district" and row.parent_code == "45")
        or (row.level == "commune" and row.parent_code in districts)
    ]
    assert quang_tri == everything_under_45


def test_subtree_of_a_district(legacy: list[UnitRow]) -> None:
    dong_ha = subtree(legacy, "district", "461")
    assert dong_ha[0].code == "461"
    assert len(dong_ha) > 1
    assert all(row.level == "commune" and row.parent_code == "461" for row in dong_ha[1:])


def test_subtree_unknown_unit(legacy: list[UnitRow]) -> None:
    with pytest.raises(LookupError, match="province"):
        subtree(legacy, "province", "99")


def test_subtree_refuses_mixed_trees(legacy: list[UnitRow], current: list[UnitRow]) -> None:
    # Province 01 (Hà Nội) exists in both trees: which one is meant is ambiguous.
    with pytest.raises(ValueError, match="several trees"):
        subtree(legacy + current, "province", "01")


# --- current tree -----------------------------------------------------------------------------


def test_current_counts(current: list[UnitRow]) -> None:
    levels = Counter(row.level for row in current)
    assert levels["province"] == 34
    assert levels["commune"] > 3000
    assert set(levels) == {"province", "commune"}
    assert {row.tree for row in current} == {CURRENT_TREE}


def test_current_provinces_then_communes(current: list[UnitRow]) -> None:
    levels = [row.level for row in current]
    assert levels == sorted(levels, key=lambda level: level != "province")
    assert_parents_first(current)
    assert_code_widths(current)
    assert {row.parent_level for row in current if row.level == "commune"} == {"province"}


def test_current_names_carry_type_prefix(current: list[UnitRow]) -> None:
    prefixes = ("Tỉnh ", "Thành phố ", "Phường ", "Xã ", "Đặc khu ")
    assert all(row.name.startswith(prefixes) for row in current)
    by_code = {row.code: row for row in current if row.level == "province"}
    # After the 2025 merger Quảng Trị (with Quảng Bình) carries code 44.
    assert by_code["44"].name == "Tỉnh Quảng Trị"
    assert by_code["01"].name == "Thành phố Hà Nội"


def test_current_subtree(current: list[UnitRow]) -> None:
    quang_tri = subtree(current, "province", "44")
    assert quang_tri[0].level == "province"
    assert len(quang_tri) > 1
    assert all(row.level == "commune" and row.parent_code == "44" for row in quang_tri[1:])


# --- validation -------------------------------------------------------------------------------


def test_minimal_valid_csv() -> None:
    rows = parse(HEADER + GOOD_BODY)
    assert [row.level for row in rows] == ["province", "district", "commune"]
    assert rows[2] == UnitRow(LEGACY_TREE, "commune", "19267", "Phường 1", "461")


def test_rows_come_back_parents_first_whatever_the_file_order() -> None:
    body = "".join(reversed(GOOD_BODY.splitlines(keepends=True)))  # communes first
    rows = parse(HEADER + body)
    assert [row.level for row in rows] == ["province", "district", "commune"]


def test_tree_label_and_lenient_input() -> None:
    # A BOM from Excel, CRLF endings, stray spaces and a trailing blank line are all tolerated.
    text = "\ufeff" + (HEADER + " province , 45 ,Tỉnh Quảng Trị,\n\n").replace("\n", "\r\n")
    (row,) = read_legacy_csv(io.StringIO(text, newline=""), tree="test")
    assert row == UnitRow("test", "province", "45", "Tỉnh Quảng Trị", None)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        pytest.param(
            HEADER + GOOD_BODY + "hamlet,19267,Thôn 1,461\n", 5, "unknown level", id="unknown-level"
        ),
        pytest.param(
            HEADER + GOOD_BODY + "district,461,Đông Hà again,45\n",
            5,
            "duplicate district 461 (first on line 3)",
            id="duplicate",
        ),
        pytest.param(
            HEADER + GOOD_BODY + "commune,19270,Phường 2,462\n",
            5,
            "parent district 462 not found",
            id="orphan-commune",
        ),
        pytest.param(
            HEADER + GOOD_BODY + "district,462,Huyện X,46\n",
            5,
            "parent province 46 not found",
            id="orphan-district",
        ),
        pytest.param(
            HEADER + GOOD_BODY + "commune,1927,Phường 2,461\n",
            5,
            "commune code '1927' is not 5 digits",
            id="short-code",
        ),
        pytest.param(
            HEADER + "province,045,Tỉnh Quảng Trị,\n",
            2,
            "province code '045' is not 2 digits",
            id="wide-code",
        ),
        pytest.param(HEADER + "province,4a,Tỉnh X,\n", 2, "not 2 digits", id="non-digit-code"),
        pytest.param(HEADER + "province,４５,Tỉnh X,\n", 2, "not 2 digits", id="fullwidth-digits"),
        pytest.param(
            HEADER + GOOD_BODY + "commune,19270,Phường 2,45\n",
            5,
            "parent '45' is not a 3-digit district",
            id="commune-under-province",
        ),
        pytest.param(
            HEADER + "province,45,Tỉnh Quảng Trị,01\n", 2, "has a parent", id="province-with-parent"
        ),
        pytest.param(HEADER + "province,45,,\n", 2, "has no name", id="no-name"),
        pytest.param(
            HEADER + "province,45,Tỉnh Quảng Trị\n",
            2,
            "expected 4 fields, got 3",
            id="missing-field",
        ),
        pytest.param(GOOD_BODY, 1, "missing header", id="missing-header"),
        pytest.param("level,code,name\n" + GOOD_BODY, 1, "missing header", id="short-header"),
        pytest.param("", 1, "empty file", id="empty"),
    ],
)
def test_bad_csv_names_the_line(text: str, line: int, reason: str) -> None:
    with pytest.raises(UnitImportError) as caught:
        parse(text)
    assert caught.value.errors[0][0] == line
    assert reason in caught.value.errors[0][1]
    assert f"line {line}: " in str(caught.value)


def test_errors_are_collected_in_line_order_and_capped() -> None:
    # An orphan early in the file (found in the second pass) still sorts before later bad lines.
    body = "commune,00001,Phường 1,999\n" + "".join(f"hamlet,{n:05d},Thôn,461\n" for n in range(30))
    with pytest.raises(UnitImportError) as caught:
        parse(HEADER + GOOD_BODY + body)
    error = caught.value
    assert error.total == 31
    assert len(error.errors) == MAX_ERRORS
    assert [line for line, _ in error.errors] == list(range(5, 5 + MAX_ERRORS))
    assert "parent district 999 not found" in error.errors[0][1]
    message = str(error)
    assert message.startswith("31 errors, first at line 5:")
    assert "and 11 more" in message


def test_undecodable_input_is_an_import_error() -> None:
    stream = io.TextIOWrapper(io.BytesIO(HEADER.encode() + b"province,45,\xff\xfe,\n"), "utf-8")
    with pytest.raises(UnitImportError, match="unreadable CSV"):
        read_legacy_csv(stream)
