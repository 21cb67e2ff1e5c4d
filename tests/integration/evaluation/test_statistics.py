"""Statistics count only what the caller may read, and export as CSV."""

from __future__ import annotations

import pytest

from tests.support import flows
from tests.support.cases import make_case


@pytest.fixture(scope="module")
def seeded(evaluation) -> None:
    with evaluation.db.unit_of_work() as uow:
        for _ in range(3):
            make_case(uow, product_set_code="21", level="district", stage="in_evaluation")
        make_case(
            uow,
            product_set_code="21",
            province_code="01",
            district_code="001",
            commune_code="00001",
            level="province",
            stage="awaiting_assignment",
        )
        uow.commit()


def _count(rows: list[dict], **key: str) -> int:
    return sum(r["count"] for r in rows if all(r[k] == v for k, v in key.items()))


def test_counts_within_reach(seeded, admin, eval_call) -> None:
    quang_tri = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    national = flows.create_official(admin, ["auditor"], "national")
    mine = eval_call("GET", "/api/v1/statistics", token=quang_tri.token)
    everyone = eval_call("GET", "/api/v1/statistics", token=national.token)
    assert mine.status == 200 and everyone.status == 200
    # Hà Nội's case (province 01) is outside Quảng Trị's reach.
    assert _count(mine.body["province"], province_code="01") == 0
    assert _count(everyone.body["province"], province_code="01") >= 1
    assert _count(mine.body["product_set"], product_set_code="21") >= 3
    assert (
        _count(everyone.body["product_set"], product_set_code="21")
        == _count(mine.body["product_set"], product_set_code="21") + 1
    )


def test_csv_export_and_bad_input(seeded, admin, call, eval_call) -> None:
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    reply = eval_call(
        "GET", "/api/v1/statistics/export.csv?group_by=level_stage", token=auditor.token
    )
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    text = reply.body.decode("utf-8-sig")
    assert text.splitlines()[0] == "level,stage,count"
    assert "district,in_evaluation," in text
    bad = eval_call("GET", "/api/v1/statistics/export.csv?group_by=nope", token=auditor.token)
    assert bad.status == 422 and bad.body["type"] == "urn:ocop:problem:validation-error"
    applicant = flows.register(call, "applicant")
    assert eval_call("GET", "/api/v1/statistics", token=applicant.token).status == 403
    assert eval_call("GET", "/api/v1/statistics").status == 401
