"""The secretariat's pages: forming a council of its unit, seating and removing officials,
scheduling rounds; bad input is shown beside its field and changes nothing.

The secretariat here serves Hướng Hóa, a district no other test uses, so the councils and
rounds created here do not show up in other suites' calendars."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.portal.conftest import Browser
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver_accounts

HUONG_HOA = "pre2025:district:465"


@pytest.fixture()
def office(admin: flows.Actor, eval_call: flows.Transport) -> flows.Actor:
    """A secretariat of Hướng Hóa, on the evaluation API."""
    return kit.official(admin, eval_call, ["secretariat"], HUONG_HOA)


def _offered(page: str) -> list[str]:
    """The account ids the seat picker offers, in the order shown."""
    return re.findall(r'<tr data-official="([^"]+)">', page)


def _row(page: str, account_id: str) -> str:
    """The text of the picker's row of ``account_id``, tags stripped."""
    found = re.search(rf'<tr data-official="{account_id}">(.*?)</tr>', page, re.S)
    assert found, f"{account_id} is not offered"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def _council_ids(actor: flows.Actor) -> set[str]:
    reply = actor("GET", "/api/v1/councils")
    assert reply.status == 200
    return {c["id"] for c in reply.body["items"]}


def test_a_secretariat_forms_a_council_and_seats_its_members(
    browser: Browser,
    office: flows.Actor,
    admin: flows.Actor,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
) -> None:
    # Officials of Hướng Hóa (in the secretariat's reach), and one of another district.
    chair = kit.official(admin, eval_call, ["council_chair"], HUONG_HOA)
    member = kit.official(admin, eval_call, ["council_member"], HUONG_HOA)
    elsewhere = kit.official(admin, eval_call, ["council_member"], kit.DISTRICT)
    deliver_accounts(registration, evaluation)
    before = _council_ids(office)

    browser.sign_in(office.account["email"])
    assert 'href="/councils/new"' in browser.html  # from the home page
    page = browser.get("/councils/new")
    assert browser.status == 200
    assert '<option value="district" selected>' in page  # the level of its jurisdiction
    assert "Huyện Hướng Hóa" in page and f"<code>{HUONG_HOA}</code>" not in page

    # Bad input: no name, a quorum that is not a number; shown beside each, typed text kept.
    name = f"Hội đồng huyện Hướng Hóa {uuid.uuid4().hex[:6]}"
    bad = {"name": "", "level": "district", "quorum_numerator": "ba", "max_spread": "8"}
    page = browser.post("/councils/new", {**bad, "quorum_denominator": "4"})
    assert 'id="f-name-error"' in page and 'aria-describedby="f-name-error"' in page
    assert '<p class="error" id="f-quorum_numerator-error">Hãy nhập một số.</p>' in page
    assert 'value="ba"' in page and 'value="8"' in page
    assert _council_ids(office) == before

    # A quorum over one is refused by the council rules, beside the field.
    page = browser.post(
        "/councils/new",
        {**bad, "name": name, "quorum_numerator": "5", "quorum_denominator": "4"},
    )
    assert 'id="f-quorum_numerator-error"' in page
    assert _council_ids(office) == before

    page = browser.post(
        "/councils/new",
        {
            "name": name,
            "level": "district",
            "quorum_numerator": "2",
            "quorum_denominator": "3",
            "max_spread": "8",
            "chair_required": "yes",
        },
    )
    assert f"Đã thành lập hội đồng {name}." in page
    (council_id,) = _council_ids(office) - before
    council = office("GET", f"/api/v1/councils/{council_id}").body
    assert (council["unit"], council["quorum_numerator"], council["max_spread"]) == (
        HUONG_HOA,
        2,
        8.0,
    )
    assert "ít nhất 2/3 thành viên chấm, độ chênh tối đa 8.0 điểm" in page
    path = f"/councils/{council_id}"

    # The seat picker offers the district's officials (name, roles, email, unit), each with
    # its seat button, not those of another district, and no free account id field.
    assert 'role="search"' in page and 'name="q"' in page
    chair_row = _row(page, chair.account["id"])
    assert "Test council_chair" in chair_row and "Chủ tịch hội đồng" in chair_row
    assert chair.account["email"] in chair_row and "Huyện Hướng Hóa" in chair_row
    assert member.account["id"] in _offered(page)
    assert elsewhere.account["id"] not in _offered(page)
    assert 'list="known-officials"' not in page

    # Seats: nothing chosen, an id that is not one, an unknown official, then the chair and a
    # member, chosen from the list.
    page = browser.post(f"{path}/members", {"account_id": "", "role": "chair"})
    assert 'id="f-account_id-error"' in page and browser.status == 422
    page = browser.post(f"{path}/members", {"account_id": "chu-tich", "role": "chair"})
    assert 'id="f-account_id-error"' in page and "UUID" in page
    page = browser.post(f"{path}/members", {"account_id": str(uuid.uuid4()), "role": "chair"})
    assert 'id="f-account_id-error"' in page and "Không có cán bộ nào với mã tài khoản" in page
    assert office("GET", f"/api/v1/councils/{council_id}").body["members"] == []
    browser.post(f"{path}/members", {"account_id": chair.account["id"], "role": "chair"})
    assert "Đã bổ nhiệm Test council_chair." in browser.html
    # Once seated, the chair is no longer offered; the member still is.
    assert chair.account["id"] not in _offered(browser.html)
    assert member.account["id"] in _offered(browser.html)
    browser.post(f"{path}/members", {"account_id": member.account["id"], "role": "member"})
    assert browser.html.count('data-seat="') == 2
    # A second chair is refused beside the field; nothing changes.
    page = browser.post(f"{path}/members", {"account_id": member.account["id"], "role": "chair"})
    assert 'id="f-account_id-error"' in page and browser.status == 409
    seats = office("GET", f"/api/v1/councils/{council_id}").body["members"]
    assert sorted(s["role"] for s in seats) == ["chair", "member"]

    # Removing the member keeps them in the council's history.
    remove = f"{path}/members/{member.account['id']}/remove"
    assert f'action="{remove}"' in browser.html
    page = browser.post(remove, {"confirm": "yes"})
    assert "Đã rút Test council_member khỏi hội đồng." in page
    assert "Thành viên đã rút" in page
    seats = office("GET", f"/api/v1/councils/{council_id}").body["members"]
    assert [s["role"] for s in seats] == ["chair"]

    # The overview lists the council; English is one click away.
    assert name in browser.get("/councils/?lang=en") and "Form a council" in browser.html


def test_a_secretariat_schedules_rounds(browser: Browser, office: flows.Actor) -> None:
    browser.sign_in(office.account["email"])
    page = browser.get("/rounds/new")
    assert browser.status == 200 and 'name="proposals_due"' in page

    def rounds() -> list[dict[str, Any]]:
        return office("GET", "/api/v1/rounds", query_string={"unit": HUONG_HOA}).body["items"]

    before = len(rounds())
    year = 2040 + uuid.uuid4().int % 50
    # Proposals due after the round closes: refused beside the field, dates kept.
    bad = {"name": "Đợt 1", "proposals_due": f"{year}-05-30", "closes_on": f"{year}-04-30"}
    page = browser.post("/rounds/new", {**bad, "level": "district", "action": "one"})
    assert 'id="f-proposals_due-error"' in page
    assert f'value="{year}-05-30"' in page and f'value="{year}-04-30"' in page
    assert len(rounds()) == before
    page = browser.post("/rounds/new", {**bad, "name": "", "level": "district", "action": "one"})
    assert 'id="f-name-error"' in page

    good = {"name": f"Đợt {year}", "proposals_due": f"{year}-04-30", "closes_on": f"{year}-06-30"}
    page = browser.post("/rounds/new", {**good, "level": "district", "action": "one"})
    assert f"Đã lên lịch đợt Đợt {year}." in page
    assert len(rounds()) == before + 1
    browser.get("/rounds/new")
    page = browser.post("/rounds/new", {**good, "level": "district", "action": "one"})
    assert "Đã có một đợt với đúng các ngày này." in page
    assert len(rounds()) == before + 1

    # A district has no default calendar: said beside the level.
    page = browser.post(
        "/rounds/new", {"level": "district", "year": str(year), "action": "defaults"}
    )
    assert 'id="f-level-error"' in page
    assert len(rounds()) == before + 1


def test_only_the_secretariat_manages_councils(
    browser: Browser, officials: dict[str, flows.Actor]
) -> None:
    browser.sign_in(officials["authority"].account["email"])
    assert browser.client.get("/councils/new").status_code == 403
    assert browser.client.get("/rounds/new").status_code == 403
    assert re.search(r'href="/councils/"', browser.get("/")) is None


def test_without_officials_listed_a_seat_is_given_by_account_id(
    browser: Browser,
    office: flows.Actor,
    admin: flows.Actor,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from services.portal.views import councils as council_views

    monkeypatch.setattr(
        council_views.seat_picker,
        "search",
        lambda seated, source=None: council_views.seat_picker.Matches("", None, refused=True),
    )
    member = kit.official(admin, eval_call, ["council_member"], HUONG_HOA)
    deliver_accounts(registration, evaluation)
    reply = office(
        "POST",
        "/api/v1/councils",
        json={"name": "HĐ dự phòng", "level": "district", "unit": HUONG_HOA},
    )
    assert reply.status == 201, reply.body
    path = f"/councils/{reply.body['id']}"

    browser.sign_in(office.account["email"])
    page = browser.get(path)
    assert 'list="known-officials"' in page and 'type="text"' in page
    page = browser.post(f"{path}/members", {"account_id": "chu-tich", "role": "member"})
    assert 'id="f-account_id-error"' in page and 'value="chu-tich"' in page
    browser.post(f"{path}/members", {"account_id": member.account["id"], "role": "member"})
    assert "Đã bổ nhiệm Test council_member." in browser.html
    assert browser.html.count('data-seat="') == 1


def test_the_seat_picker_searches_and_pages(
    browser: Browser,
    office: flows.Actor,
    admin: flows.Actor,
    registration: Any,
    evaluation: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Found without marks ("dang" finds Đặng), in Vietnamese order, a page at a time by plain
    links (no JavaScript), and seated with the CSRF token the POST needs."""
    from services.portal import seat_picker

    tag = "t" + uuid.uuid4().hex[:8]  # a word no query below begins
    names = ["Đặng Thị Hoa", "Âu Văn Ba", "Đào Văn Minh", "Dương Văn Dũng"]
    ids = {}
    for n, name in enumerate(names):
        account = flows.official_account(
            admin,
            ["council_member"],
            HUONG_HOA,
            email=f"picker-{n}-{tag}@example.gov.vn",
            display_name=f"{name} {tag}",
        )
        ids[name] = account["id"]
    deliver_accounts(registration, evaluation)
    reply = office(
        "POST",
        "/api/v1/councils",
        json={"name": f"HĐ tìm kiếm {tag}", "level": "district", "unit": HUONG_HOA},
    )
    assert reply.status == 201, reply.body
    path = f"/councils/{reply.body['id']}"
    browser.sign_in(office.account["email"])

    def find(q: str) -> str:
        return browser.get(f"{path}?" + urlencode({"q": q}))

    # "d <tag>" finds the names with a word beginning with d or đ: Dương (Văn Dũng), Đào and
    # Đặng, in that order (đ after d, a before ă); not Âu Văn Ba.
    page = find(f"d {tag}")
    assert browser.status == 200
    assert _offered(page) == [ids["Dương Văn Dũng"], ids["Đào Văn Minh"], ids["Đặng Thị Hoa"]]
    assert f"d {tag}" in page  # the query stays in the box
    page = find(f"dang thi {tag}")
    assert _offered(page) == [ids["Đặng Thị Hoa"]]
    assert "data-no-match" in find(f"xyz {tag}")

    # Two a page: the next page is a link carrying the query and the cursor.
    monkeypatch.setattr(seat_picker, "PAGE", 2)
    page = find(tag)
    assert _offered(page) == [ids["Âu Văn Ba"], ids["Dương Văn Dũng"]]
    (next_link,) = re.findall(r'<a href="([^"]+)" rel="next">', page)
    page = browser.get(html.unescape(next_link).split("#")[0])
    assert _offered(page) == [ids["Đào Văn Minh"], ids["Đặng Thị Hoa"]]
    assert 'rel="next"' not in page and "Trang đầu" in page

    # The seat button's POST carries the CSRF token; without it nothing is seated.
    assert (
        browser.client.post(
            f"{path}/members", data={"account_id": ids["Đào Văn Minh"], "role": "member"}
        ).status_code
        == 400
    )
    browser.post(f"{path}/members", {"account_id": ids["Đào Văn Minh"], "role": "member", "q": tag})
    assert f"Đã bổ nhiệm Đào Văn Minh {tag}." in browser.html
    # Back on the same search, first page, the seated official no longer offered.
    assert f'value="{tag}"' in browser.html
    assert _offered(browser.html) == [ids["Âu Văn Ba"], ids["Dương Văn Dũng"]]
    monkeypatch.setattr(seat_picker, "PAGE", 20)
    assert _offered(find(tag)) == [ids["Âu Văn Ba"], ids["Dương Văn Dũng"], ids["Đặng Thị Hoa"]]
