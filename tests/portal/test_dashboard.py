"""The programme dashboard: the funnel through the levels, deadlines breached, each council's
score distribution drawn as SVG beside its numbers, and the CSV and XLSX exports."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.portal.conftest import Browser
from tests.support import flows
from tests.support.cases import make_case

BAC_LIEU = {"province_code": "95", "district_code": "954", "commune_code": "31900"}


@pytest.fixture(scope="module")
def bac_lieu(evaluation: Any) -> str:
    """Four cases of Bạc Liêu (no other test's province): one at the commune, two at the
    district (one overdue for its decision), one recognised at the province; one council's
    sheets total 62, 64 and 66 on the evaluation it closed (of the case now recognised), and
    90 and 95 on the one it still scores, which its figures do not count (ADR 0009: members
    may not disclose results before the council closes). Returns the council's id."""
    from services.evaluation.models import Council, Evaluation, ScoreSheet
    from services.evaluation.service.certificates import today

    now, day = datetime.now(UTC), today()
    with evaluation.db.unit_of_work() as uow:
        make_case(uow, **BAC_LIEU, level="commune", stage="commune_review")
        scored = make_case(uow, **BAC_LIEU, level="district", stage="in_evaluation")
        make_case(
            uow,
            **BAC_LIEU,
            level="district",
            stage="awaiting_decision",
            decision_due_on=day - timedelta(days=2),
        )
        recognised = make_case(uow, **BAC_LIEU, level="province", stage="recognised")
        council = Council(
            name=f"Hội đồng Bạc Liêu {uuid.uuid4().hex[:6]}",
            level="district",
            unit="pre2025:district:954",
            created_at=now,
        )
        uow.session.add(council)
        uow.session.flush()
        for case, status, totals in (
            (recognised, "closed", (62, 64, 66)),
            (scored, "open", (90, 95)),
        ):
            found = Evaluation(
                dossier_id=case.dossier_id,
                level="district",
                council_id=council.id,
                status=status,
                opened_at=now,
                closed_at=now if status == "closed" else None,
            )
            uow.session.add(found)
            uow.session.flush()
            for total in totals:
                uow.session.add(
                    ScoreSheet(
                        evaluation_id=found.id,
                        account_id=uuid.uuid4(),
                        answers={},
                        total=float(total),
                        part_points={},
                        document_hashes={},
                        submitted_at=now,
                        updated_at=now,
                    )
                )
        uow.commit()
        return str(council.id)


@pytest.fixture()
def auditor(browser: Browser, admin: flows.Actor) -> Browser:
    person = flows.create_official(admin, ["auditor"], "pre2025:province:95")
    browser.sign_in(person.account["email"])
    return browser


def _section(page: str, marker: str) -> str:
    found = re.search(rf"<[^>]*{marker}.*?</(table|figure|li)>", page, re.S)
    assert found, marker
    return found.group(0)


def test_the_dashboard_draws_the_funnel_deadlines_and_score_spreads(
    bac_lieu: str, auditor: Browser
) -> None:
    page = auditor.get("/dashboard/")
    assert auditor.status == 200
    funnel = _section(page, 'data-funnel="four-level"')
    rows = re.findall(r'<th scope="row">([^<]+)</th><td>(\d+) <small>\((\d+)%\)</small>', funnel)
    assert rows == [
        ("xã", "4", "100"),
        ("huyện", "3", "75"),
        ("tỉnh", "1", "25"),
        ("trung ương", "0", "0"),
    ]
    assert '<rect x="0" y="0" height="10" width="75.0"/>' in funnel  # the bar of 3 of 4
    assert re.search(r'data-deadline="decision">\s*<strong>1</strong>', page)
    assert re.search(r'data-deadline="round">\s*<strong>0</strong>', page)
    figure = _section(page, f'data-council="{bac_lieu}"')
    # The closed evaluation's sheets only: the open one's 90 and 95 are not drawn.
    assert "3 phiếu; thấp nhất 62.0, trung bình 64.0, cao nhất 66.0" in figure
    assert 'role="img"' in figure and "60–69: 3" in figure
    # The tallest band is drawn to full height; empty bands have no height.
    assert figure.count('height="70.0"') == 1 and figure.count('height="0.0"') == 9
    # Units by name, not by code: the province and the district tables.
    districts = _section(page, 'id="h-district"')
    assert "<td>Tỉnh Bạc Liêu</td>" in districts and "<td>Trước sắp xếp 2025</td>" in districts
    assert "<td>95</td>" not in districts and "<td>954</td>" not in districts
    english = auditor.get("/dashboard/?lang=en")
    assert "Cases through the levels" in english and "Score distribution per council" in english
    assert "<td>Bạc Liêu Province</td>" in _section(english, 'id="h-province"')


def test_every_table_exports_as_csv_and_all_as_one_workbook(
    bac_lieu: str, auditor: Browser
) -> None:
    csv = auditor.client.get("/dashboard/export/council_bands.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    assert f"{bac_lieu}," in csv.get_data(as_text=True) and ",60,3" in csv.get_data(as_text=True)
    resp = auditor.client.get("/dashboard/export.xlsx")
    assert resp.status_code == 200
    assert resp.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment;" in resp.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(resp.data))
    assert "Hồ sơ qua các cấp" in book.sheetnames and "Quá hạn hôm nay" in book.sheetnames
    funnel = list(book["Hồ sơ qua các cấp"].values)
    assert funnel[0] == ("Mô hình", "Cấp", "Đã lên tới", "Đang ở cấp này", "Được công nhận")
    assert ("Bốn cấp (xã, huyện, tỉnh, trung ương)", "huyện", 3, 2, 0) in funnel
    scores = list(book["Phân bố điểm theo hội đồng"].values)
    (mine,) = [r for r in scores if r[0] == bac_lieu]
    assert mine[3:] == (3, 62.0, 64.0, 66.0)  # numbers stay numbers
