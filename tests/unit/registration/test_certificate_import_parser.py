"""The import's reader and checks (service.certificate_import), on a small database of its own:
each problem by row and column, in both languages, from CSV and XLSX, dates as written in
Vietnam, ISO or real date cells."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from services.registration.models import AdminUnit, Base
from services.registration.service import certificate_import as ci
from shared.errors import TooLarge, UnsupportedType


@pytest.fixture()
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add_all(
            [
                AdminUnit(
                    tree="pre2025",
                    level="commune",
                    code="19333",
                    name="Phường 1",
                    parent_code="461",
                    province_code="45",
                    district_code="461",
                ),
                AdminUnit(
                    tree="2025",
                    level="commune",
                    code="19366",
                    name="Phường Đông Hà",
                    parent_code="44",
                    province_code="44",
                    district_code=None,
                ),
            ]
        )
        session.flush()
        yield session


def table(*changes: dict[str, Any], lang: str = "vi") -> list[list[Any]]:
    header = [ci.header_words(key, lang) for key in ci.COLUMNS]
    body = []
    for n, change in enumerate(changes):
        row = {**ci.EXAMPLE, "certificate_number": f"QT-{n}", **change}
        body.append([row.get(key, "") for key in ci.COLUMNS])
    return [header, *body]


def as_csv(rows: list[list[Any]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def problems(session: Session, data: bytes, name: str = "f.csv") -> list[tuple[int, Any, str]]:
    report = ci.check(session, name=name, data=data, regime="four-level").report
    return [(p.row, p.column, p.code) for p in report.problems]


def test_a_clean_file_has_no_problem(session: Session) -> None:
    report = ci.check(session, name="f.csv", data=as_csv(table({}, {})), regime="four-level")
    assert (report.report.rows, report.report.created, report.report.problems) == (2, 2, [])


@pytest.mark.parametrize(
    ("change", "column", "code"),
    [
        ({"product_name": ""}, "product_name", "import.required"),
        ({"product_set": "99"}, "product_set", "import.unknown_product_set"),
        ({"producer_email": "not-an-email"}, "producer_email", "import.bad_email"),
        ({"unit_tree": "1990"}, "unit_tree", "import.unknown_tree"),
        ({"commune": "00001"}, "commune", "import.unknown_commune"),
        ({"entity_type": "pirate ship"}, "entity_type", "import.unknown_entity_type"),
        ({"star_rank": "2"}, "star_rank", "import.bad_rank"),
        ({"star_rank": "many"}, "star_rank", "import.bad_rank"),
        ({"level": "galaxy"}, "level", "import.unknown_level"),
        ({"level": "district"}, "level", "import.level_mismatch"),
        ({"status": "lost"}, "status", "import.unknown_status"),
        ({"issued_on": "31/02/2024"}, "issued_on", "import.bad_date"),
        ({"expires_on": "15/03/2024"}, "expires_on", "import.expiry_not_after_issue"),
        ({"status": "revoked"}, "revoked_on", "import.revoked_on_required"),
        ({"revoked_on": "01/01/2025"}, "revoked_on", "import.revoked_on_not_revoked"),
    ],
)
def test_each_problem_by_row_and_column(
    session: Session, change: dict[str, Any], column: str, code: str
) -> None:
    assert problems(session, as_csv(table({}, change))) == [(3, column, code)]


def test_problems_across_rows(session: Session) -> None:
    rows = table({}, {"certificate_number": "QT-0"}, {"producer_email": "other@example.vn"})
    assert problems(session, as_csv(rows)) == [
        (3, "certificate_number", "import.duplicate_number"),
        (4, "producer_tax_no", "import.producer_differs"),
    ]


def test_a_missing_column_is_named_on_the_header_row(session: Session) -> None:
    rows = [r[:-2] + r[-1:] for r in table({})]  # no "status" column
    assert problems(session, as_csv(rows)) == [(1, "status", "import.missing_column")]


def test_the_level_follows_the_regime_of_the_decision_time(session: Session) -> None:
    # Before 1489/2025 the district recognised 3★; after it, in a two-tier deployment, the
    # province does, and a 2025-tree commune has no district.
    old = {"star_rank": "3", "level": "cấp huyện", "decided_on": "01/02/2024"}
    assert problems(session, as_csv(table(old))) == []
    new = {
        "star_rank": "3",
        "level": "Tỉnh",
        "decided_on": "2025-09-01",
        "unit_tree": "2025",
        "commune": "19366",
    }
    two_tier = ci.check(session, name="f.csv", data=as_csv(table(new)), regime="two-tier")
    assert two_tier.report.problems == []
    assert two_tier.new_rows[0].regime == "two-tier"
    assert two_tier.new_rows[0].authority_unit == "2025:province:44"


def test_pre_2025_codes_in_a_two_tier_deployment(session: Session) -> None:
    row = {"unit_tree": "pre2025", "commune": "19333"}
    plan = ci.check(session, name="f.csv", data=as_csv(table(row)), regime="two-tier")
    assert plan.report.problems == []
    assert plan.new_rows[0].regime == "four-level"  # decided in 2024


def test_english_headers_and_words_and_semicolons(session: Session) -> None:
    rows = table({"status": "Valid", "level": "Province level"}, lang="en")
    assert problems(session, as_csv(rows, delimiter=";")) == []


def test_headers_are_matched_without_case_or_accents(session: Session) -> None:
    rows = table({})
    rows[0] = [ci.fold(h).upper() for h in rows[0]]
    assert problems(session, as_csv(rows)) == []


def test_dates_as_written_in_vietnam_iso_and_cells() -> None:
    assert ci.parse_date("05/03/2024") == date(2024, 3, 5)
    assert ci.parse_date("5/3/2024") == date(2024, 3, 5)
    assert ci.parse_date("2024-03-05") == date(2024, 3, 5)
    assert ci.parse_date(datetime(2024, 3, 5)) == date(2024, 3, 5)
    assert ci.parse_date("03/2024") is None


def test_xlsx_with_real_date_cells(session: Session) -> None:
    rows = table({})
    keys = list(ci.COLUMNS)
    for key, day in (("decided_on", 2024), ("issued_on", 2024), ("expires_on", 2027)):
        rows[1][keys.index(key)] = datetime(day, 3, 15)
    rows[1][keys.index("star_rank")] = 4  # a number cell
    rows[1][keys.index("commune")] = 19333
    plan = ci.check(session, name="f.xlsx", data=as_xlsx(rows), regime="four-level")
    assert plan.report.problems == []
    assert plan.new_rows[0].facts["expires_on"] == "2027-03-15"
    bad = table({"star_rank": "7"})
    assert problems(session, as_xlsx(bad), "f.xlsx") == [(2, "star_rank", "import.bad_rank")]


def test_problems_in_both_languages(session: Session) -> None:
    data = as_csv(table({"expires_on": "01/01/2020", "level": "district"}))
    found = ci.check(session, name="f.csv", data=data, regime="four-level").report.problems
    by_column = {p.column: p for p in found}
    assert by_column["expires_on"].words("vi") == (
        "Ngày hết hạn 01/01/2020 phải sau ngày cấp 15/03/2024."
    )
    assert "15 Mar 2024" in by_column["expires_on"].words("en")
    assert "cấp tỉnh công nhận, không phải cấp huyện" in by_column["level"].words("vi")
    assert "province level, not district level" in by_column["level"].words("en")


def test_not_a_table_and_too_large() -> None:
    with pytest.raises(UnsupportedType):
        list(ci.read_table("f.csv", b"\x00\x01\x02binary"))
    with pytest.raises(UnsupportedType):
        list(ci.read_table("f.xlsx", b"PK\x03\x04 not really a workbook"))
    with pytest.raises(TooLarge):
        ci.read_table("f.csv", b" " * (ci.MAX_BYTES + 1))


def test_the_template_reads_back_clean(session: Session) -> None:
    for lang in ("vi", "en"):
        data = ci.template_csv(lang).encode()
        assert problems(session, data) == []
