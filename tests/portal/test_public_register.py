"""The portal's public register, for anyone without signing in: the search (words without
tones, province → commune through the unit picker without JavaScript, stars, status), cards in
Vietnamese and English, paging, a product's page with its check link and QR code, the CSV and
JSON downloads passed through, and the sitemap on the configured public address."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.portal.conftest import Browser
from tests.support.register import seed_certificate


@pytest.fixture(scope="module")
def shelf(evaluation: Any) -> dict[str, Any]:
    """Three products of this module (its own word in each name): two valid in Quảng Trị
    (Phường 1 and Phường Đông Giang), one revoked in Huế."""
    word = "zr" + "".join("abcdefghij"[int(d)] for d in f"{uuid.uuid4().int % 10**8:08d}")
    honey = seed_certificate(evaluation, product_name=f"Mật ong rừng {word}", star_rank=4)
    hat = seed_certificate(
        evaluation,
        product_name=f"Nón lá {word}",
        star_rank=5,
        case={"commune_code": "19330"},
    )
    sesame = seed_certificate(
        evaluation,
        product_name=f"Mè xửng {word}",
        status="revoked",
        revoked_on=None,
        case={"province_code": "46", "district_code": "474", "commune_code": "19753"},
    )
    return {"word": word, "honey": honey, "hat": hat, "sesame": sesame}


def cards(page: str) -> list[str]:
    return re.findall(r'<li class="status-[a-z]+" data-number="([^"]+)"', page)


def test_search_in_both_languages_without_signing_in(browser: Browser, shelf) -> None:
    page = browser.get("/products?" + urlencode({"q": f"MAT ONG {shelf['word']}"}))
    assert browser.status == 200
    assert cards(page) == [shelf["honey"]]
    assert "Danh sách sản phẩm OCOP" in page and "Còn hiệu lực" in page
    assert "Phường 1" in page and "Tỉnh Quảng Trị" in page
    assert 'aria-label="4 sao"' in page
    english = browser.get("/products?" + urlencode({"q": f"mat {shelf['word']}", "lang": "en"}))
    assert "OCOP products" in english and "Valid" in english
    # Valid by default: the revoked one only when asked for.
    assert cards(browser.get(f"/products?q={shelf['word']}")) == [shelf["honey"], shelf["hat"]]
    assert cards(browser.get(f"/products?q={shelf['word']}&status=revoked")) == [shelf["sesame"]]
    assert cards(browser.get(f"/products?q={shelf['word']}&status=all&star_rank=5")) == [
        shelf["hat"]
    ]


def test_province_then_commune_without_javascript(browser: Browser, shelf) -> None:
    word = shelf["word"]
    page = browser.get(f"/products?q={word}&unit.province=45")
    assert cards(page) == [shelf["honey"], shelf["hat"]]
    # The province's districts are offered now (the pre-2025 tree); then its communes.
    assert 'name="unit.district"' in page
    page = browser.get(f"/products?q={word}&unit.province=45&unit.district=461")
    assert 'value="pre2025:commune:19330"' in page
    page = browser.get(
        f"/products?q={word}&unit.province=45&unit.district=461&commune=pre2025:commune:19330"
    )
    assert cards(page) == [shelf["hat"]]
    assert cards(browser.get(f"/products?q={word}&unit.province=46&status=all")) == [
        shelf["sesame"]
    ]


def test_pages_follow_one_another(browser: Browser, evaluation: Any) -> None:
    word = "zs" + "".join("abcdefghij"[int(d)] for d in f"{uuid.uuid4().int % 10**8:08d}")
    made = [seed_certificate(evaluation, product_name=f"Trà {i:02d} {word}") for i in range(23)]
    first = browser.get(f"/products?q={word}")
    assert cards(first) == made[:20]
    more = re.search(r'<a rel="next" href="([^"]+)"', first)
    assert more
    second = browser.get(html.unescape(more.group(1)))
    assert cards(second) == made[20:]
    assert 'rel="next"' not in second


def test_product_page_with_check_link_and_qr(browser: Browser, portal_app: Any, shelf) -> None:
    page = browser.get(f"/products/{shelf['hat']}")
    assert browser.status == 200
    assert f"Nón lá {shelf['word']}" in page and "HTX Đông Hà" in page
    assert "Phường Đông Giang" in page and "<svg" in page
    base = portal_app.extensions["portal_settings"].public_url.rstrip("/")
    assert f"{base}/certificates/check?number={shelf['hat']}" in html.unescape(page)
    browser.get("/products/OCOP-NO-SUCH-00001")
    assert browser.status == 404


def test_downloads_and_sitemap(browser: Browser, portal_app: Any, shelf) -> None:
    client = browser.client
    got = client.get("/products.csv")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    text = got.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = {r["number"]: r for r in csv.DictReader(io.StringIO(text.lstrip("\ufeff")))}
    assert rows[shelf["hat"]]["commune_name"] == "Phường Đông Giang"
    got = client.get("/products.json")
    assert got.status_code == 200
    items = {i["number"]: i for i in json.loads(got.get_data(as_text=True))["items"]}
    assert items[shelf["sesame"]]["status"] == "revoked"
    assert items[shelf["honey"]]["commune_name"] == "Phường 1"

    got = client.get("/sitemap.xml", headers={"Host": "evil.example"})
    assert got.status_code == 200 and got.mimetype == "application/xml"
    body = got.get_data(as_text=True)
    base = portal_app.extensions["portal_settings"].public_url.rstrip("/")
    locs = re.findall(r"<loc>([^<]+)</loc>", body)
    assert all(loc.startswith(base) for loc in locs) and "evil.example" not in body
    for number in (shelf["honey"], shelf["hat"], shelf["sesame"]):
        assert f"{base}/products/{number}" in locs
    assert f"{base}/products" in locs
