"""Where people pick from names, the names come in Vietnamese alphabetical order (shared.names
sort_key): the producers an applicant files for (Đ after D, Ă and Â after A)."""

from __future__ import annotations

import html
import re

from tests.portal.conftest import Browser
from tests.support import councils as kit
from tests.support import flows


def test_an_applicants_producers_in_vietnamese_order(
    browser: Browser, call: flows.Transport
) -> None:
    owner = kit.applicant(call)
    for name in ("Đặng Gia Trang", "HTX Ăn Quả", "Dương Minh", "HTX Ánh Dương", "Zô Hương"):
        reply = owner("POST", "/api/v1/producers", json={**flows.producer_body(), "name": name})
        assert reply.status == 201, reply.body
    browser.sign_in(owner.account["email"])
    page = browser.get("/dossiers/new")
    options = [
        html.unescape(t) for t in re.findall(r'<option value="[0-9a-f-]{36}"[^>]*>([^<]*)<', page)
    ]
    assert options == ["Dương Minh", "Đặng Gia Trang", "HTX Ánh Dương", "HTX Ăn Quả", "Zô Hương"]
