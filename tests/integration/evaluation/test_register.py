"""The public register (no sign-in): search without tones or case over product and producer
names, filters by unit, product set, stars and status (valid by default, a certificate kept
valid by a pending re-evaluation included), Vietnamese order, stable pages, one entry, and the
CSV and JSON exports (streamed, formula-like cells neutralised, unit names beside references).

Each test's certificates carry a word of their own in the product name and every query asks
for it, so certificates other suites leave in the shared database do not count."""

from __future__ import annotations

import csv
import io
import json
import uuid
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest

from services.evaluation.service import register
from services.evaluation.service.certificates import today
from shared.names import sort_key
from tests.support.cases import make_case
from tests.support.register import seed_certificate

TODAY = today()


def tag() -> str:
    """A word no other certificate holds (letters only: it is one searched word)."""
    return "zq" + "".join("abcdefghij"[int(d)] for d in f"{uuid.uuid4().int % 10**8:08d}")


def listed(eval_call: Any, **params: Any) -> Any:
    reply = eval_call("GET", "/api/v1/register?" + urlencode(params, doseq=True))
    assert reply.status == 200, reply.body
    return reply.body


def names(body: Any) -> list[str]:
    return [item["product_name"] for item in body["items"]]


@pytest.fixture()
def word() -> str:
    return tag()


def test_search_ignores_tones_and_case_over_product_and_producer(evaluation, eval_call, word):
    honey = seed_certificate(evaluation, product_name=f"Mật ong hoa cà phê {word}")
    tea = seed_certificate(
        evaluation, product_name=f"Trà Shan tuyết {word}", producer_name="Công ty Đất Việt"
    )
    seed_certificate(evaluation, product_name=f"Đậu phộng rang {word}")

    assert names(listed(eval_call, q=f"MAT {word}")) == [f"Mật ong hoa cà phê {word}"]
    assert names(listed(eval_call, q=f"dau {word}")) == [f"Đậu phộng rang {word}"]
    # Every word, in any order; a producer's words count; a word must begin a word.
    assert [i["number"] for i in listed(eval_call, q=f"viet dat {word}")["items"]] == [tea]
    assert listed(eval_call, q=f"ong {word}")["items"][0]["number"] == honey
    assert listed(eval_call, q=f"hong {word}")["items"] == []
    assert len(listed(eval_call, q=word)["items"]) == 3


def test_vietnamese_order_and_stable_pages(evaluation, eval_call, word):
    products = [f"{first} {word}" for first in ("Dứa", "Ăn", "An", "Đậu", "Bánh", "Ấm", "Án")]
    for name in products:
        seed_certificate(evaluation, product_name=name)
    expected = sorted(products, key=sort_key)
    assert names(listed(eval_call, q=word, limit=100)) == expected
    assert expected[:4] == [f"An {word}", f"Án {word}", f"Ăn {word}", f"Ấm {word}"]

    seen: list[str] = []
    params: dict[str, Any] = {"q": word, "limit": 2}
    while True:
        body = listed(eval_call, **params)
        seen += names(body)
        if body["next"] is None:
            break
        params["after"] = body["next"]
    assert seen == expected

    unknown = eval_call("GET", f"/api/v1/register?q={word}&after=OCOP-NOPE")
    assert unknown.status == 422
    assert "after" in json.dumps(unknown.body)


def test_filters_by_place_set_and_stars(evaluation, eval_call, word):
    here = seed_certificate(evaluation, product_name=f"Nước mắm {word}", star_rank=3)
    next_door = seed_certificate(
        evaluation,
        product_name=f"Nón lá {word}",
        star_rank=5,
        case={"commune_code": "19330", "product_set_code": "06"},
    )
    hue = seed_certificate(
        evaluation,
        product_name=f"Mè xửng {word}",
        case={"province_code": "46", "district_code": "474", "commune_code": "19753"},
    )

    def numbers(**params: Any) -> set[str]:
        return {i["number"] for i in listed(eval_call, q=word, **params)["items"]}

    assert numbers(province="pre2025:province:45") == {here, next_door}
    assert numbers(province="pre2025:province:46") == {hue}
    assert numbers(commune="pre2025:commune:19330") == {next_door}
    assert numbers(district="pre2025:district:474") == {hue}
    assert numbers(province="2025:province:45") == set()  # another tree's province 45
    assert numbers(product_set="06") == {next_door}
    assert numbers(star_rank=3) == {here}
    assert numbers(star_rank=5, province="pre2025:province:45") == {next_door}

    item = listed(eval_call, q=word, commune="pre2025:commune:19330")["items"][0]
    assert item["province"] == "pre2025:province:45"
    assert item["district"] == "pre2025:district:461"
    assert item["product_set_code"] == "06"
    for bad in (
        {"province": "45"},
        {"commune": "pre2025:province:45"},
        {"star_rank": 2},
        {"status": "lost"},
        {"limit": 0},
    ):
        assert eval_call("GET", "/api/v1/register?" + urlencode(bad)).status == 422, bad


def test_status_valid_by_default_and_kept_valid_by_a_pending_reevaluation(
    evaluation, eval_call, word
):
    valid = seed_certificate(evaluation, product_name=f"A hợp lệ {word}")
    expired = seed_certificate(
        evaluation, product_name=f"B hết hạn {word}", issued_on=TODAY - timedelta(days=1200)
    )
    # Stored valid, past expiry, its holder filed a re-evaluation by then: valid until decided.
    kept = seed_certificate(
        evaluation, product_name=f"C giữ hiệu lực {word}", issued_on=TODAY - timedelta(days=1110)
    )
    with evaluation.db.unit_of_work() as uow:
        from services.evaluation.models import Certificate

        kept_row = uow.session.get_one(Certificate, kept)
        make_case(
            uow,
            product_name=f"C giữ hiệu lực {word}",
            registration_type="re_evaluation",
            previous_certificate=kept,
            filed_on=kept_row.expires_on - timedelta(days=130),
            stage="in_evaluation",
        )
        uow.commit()
    # Stored valid, past expiry, filed a re-evaluation only after it: expired.
    late = seed_certificate(
        evaluation, product_name=f"D nộp muộn {word}", issued_on=TODAY - timedelta(days=1110)
    )
    with evaluation.db.unit_of_work() as uow:
        late_row = uow.session.get_one(Certificate, late)
        make_case(
            uow,
            product_name=f"D nộp muộn {word}",
            registration_type="re_evaluation",
            previous_certificate=late,
            filed_on=late_row.expires_on + timedelta(days=3),
            stage="in_evaluation",
        )
        uow.commit()
    revoked = seed_certificate(
        evaluation, product_name=f"E thu hồi {word}", status="revoked", revoked_on=TODAY
    )
    superseded = seed_certificate(
        evaluation, product_name=f"F thay thế {word}", status="superseded", superseded_by=valid
    )

    def numbers(**params: Any) -> list[str]:
        return [i["number"] for i in listed(eval_call, q=word, **params)["items"]]

    assert numbers() == [valid, kept]
    assert numbers(status="valid", limit=1) == [valid]
    assert numbers(status="valid", limit=1, after=valid) == [kept]
    assert numbers(status="expired") == [expired, late]
    assert numbers(status="revoked") == [revoked]
    assert numbers(status="superseded") == [superseded]
    assert numbers(status="all") == [valid, expired, kept, late, revoked, superseded]
    statuses = {i["number"]: i["status"] for i in listed(eval_call, q=word, status="all")["items"]}
    assert statuses[kept] == "valid" and statuses[late] == "expired"

    entry = eval_call("GET", f"/api/v1/register/{kept}").body
    assert entry["status"] == "valid"
    assert date.fromisoformat(entry["valid_until"]) > date.fromisoformat(entry["expires_on"])
    replaced = eval_call("GET", f"/api/v1/register/{superseded}")
    assert replaced.status == 200
    assert replaced.body["status"] == "superseded" and replaced.body["superseded_by"] == valid
    assert eval_call("GET", "/api/v1/register/OCOP-NONE-2026-00001").status == 404


def test_anonymous_and_no_people_in_it(evaluation, eval_call, word):
    number = seed_certificate(evaluation, product_name=f"Gạo lứt {word}")
    body = eval_call("GET", f"/api/v1/register/{number}").body
    assert set(body) == {
        "number", "product_name", "product_code", "product_set_code", "producer_name",
        "star_rank", "level", "authority_unit", "decision_number", "decided_on", "issued_on",
        "expires_on", "valid_until", "status", "superseded_by", "revoked_on", "province",
        "district", "commune",
    }  # fmt: skip
    # A bad token is refused even on a public operation (as for the certificate check).
    assert eval_call("GET", "/api/v1/register", token="not-a-token").status == 401


def test_exports_stream_every_status_with_unit_names_and_no_formula(evaluation, eval_call, word):
    formula = f'=HYPERLINK("http://x") {word}'
    number = seed_certificate(evaluation, product_name=formula, producer_name="@Công ty Xấu")
    revoked = seed_certificate(
        evaluation, product_name=f"Ớt {word}", status="revoked", revoked_on=TODAY
    )

    reply = eval_call("GET", "/api/v1/register.csv")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    text = reply.body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = {row["number"]: row for row in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert list(next(iter(rows.values()))) == list(register.EXPORT_COLUMNS)
    row = rows[number]
    assert row["product_name"] == "'" + formula
    assert row["producer_name"] == "'@Công ty Xấu"
    assert row["province_name"] == "Tỉnh Quảng Trị"
    assert row["district_name"] == "Thành phố Đông Hà"
    assert row["commune_name"] == "Phường 1"
    assert row["authority_name"] == "Tỉnh Quảng Trị"
    assert rows[revoked]["status"] == "revoked"

    reply = eval_call("GET", "/api/v1/register.json")
    assert reply.status == 200
    body = reply.body if isinstance(reply.body, dict) else json.loads(reply.body)
    assert body["as_of"] == TODAY.isoformat()
    items = {item["number"]: item for item in body["items"]}
    assert list(items[number]) == list(register.EXPORT_COLUMNS)
    assert items[number]["product_name"] == formula  # JSON is data, not a sheet
    assert items[number]["star_rank"] == 4
    assert items[revoked]["revoked_on"] == TODAY.isoformat()


def test_common_and_rare_words_find_the_same(evaluation, eval_call, word, monkeypatch):
    """A word held by few certificates is looked up first and its certificates ordered in
    Python; a common one is a condition of the walk along the name index: both answer alike."""
    products = [f"{first} {word}" for first in ("Trà", "Ấm", "Đậu", "Bánh", "Mật", "An")]
    for name in products:
        seed_certificate(evaluation, product_name=name)

    def walk(**params: Any) -> list[str]:
        seen, params = [], {"q": word, "limit": 2, **params}
        while True:
            body = listed(eval_call, **params)
            seen += names(body)
            if body["next"] is None:
                return seen
            params["after"] = body["next"]

    rare = walk(), walk(q=f"tra {word}")
    monkeypatch.setattr(register, "FEW", 0)  # every word counts as common
    assert (walk(), walk(q=f"tra {word}")) == rare
    assert rare[0] == sorted(products, key=sort_key) and rare[1] == [f"Trà {word}"]
