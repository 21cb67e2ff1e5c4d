"""The secretariat's pages: forming a council of its unit, seating and removing officials,
scheduling rounds; bad input is shown beside its field and changes nothing.

The secretariat here serves Hướng Hóa, a district no other test uses, so the councils and
rounds created here do not show up in other suites' calendars."""

from __future__ import annotations

import html
import re
import uuid
from typing import Any

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


def _option(page: str, account_id: str) -> str | None:
    """The text of the seat form's choice of ``account_id`` (None: not offered)."""
    found = re.search(rf'<option value="{account_id}"[^>]*>([^<]*)</option>', page)
    return html.unescape(found.group(1)) if found else None


def _value(page: str, text: str) -> str:
    """The value of the seat form's choice whose text is ``text`` (what the browser sends)."""
    choices = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page)
    (value,) = [value for value, label in choices if html.unescape(label) == text]
    return value


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
    assert f"<code>{HUONG_HOA}</code>" in page

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

    # The seat form offers the district's officials to choose from (name — email — roles),
    # not those of another district, and no free account id field.
    chair_option = _option(page, chair.account["id"])
    assert chair_option == f"Test council_chair — {chair.account['email']} — Chủ tịch hội đồng"
    assert _option(page, member.account["id"]) is not None
    assert _option(page, elsewhere.account["id"]) is None
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
    browser.post(f"{path}/members", {"account_id": _value(page, chair_option), "role": "chair"})
    assert "Đã bổ nhiệm Test council_chair." in browser.html
    # Once seated, the chair is no longer offered; the member still is.
    assert _option(browser.html, chair.account["id"]) is None
    member_option = _option(browser.html, member.account["id"])
    assert member_option is not None
    browser.post(
        f"{path}/members", {"account_id": _value(browser.html, member_option), "role": "member"}
    )
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

    monkeypatch.setattr(council_views, "_officials", lambda seated: [])
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
