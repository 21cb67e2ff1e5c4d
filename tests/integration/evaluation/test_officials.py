"""Listing officials to seat on councils: only secretariats (and admins) may, and they see the
active officials of their jurisdiction's subtree, filtered by role and text, by name."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver_accounts


@dataclass
class People:
    tag: str  # in every listed official's name, so that a query sees only this module's people
    ids: dict[str, str]
    emails: dict[str, str]


@pytest.fixture(scope="module")
def people(admin: flows.Actor, registration: Any, evaluation: Any) -> People:
    tag = uuid.uuid4().hex[:8]
    specs = {
        # key: (name, roles, unit)
        "chair": (f"Bà Chủ tịch {tag}", ["council_chair"], kit.DISTRICT),
        "member": (f"Anh Thành viên {tag}", ["council_member"], kit.DISTRICT),
        "commune": (f"Cán bộ xã {tag}", ["commune_officer"], flows.COMMUNE),
        "province": (f"Dương Tỉnh {tag}", ["council_member"], kit.PROVINCE),
        "other_district": (f"Em Thị xã {tag}", ["council_member"], kit.OTHER_DISTRICT),
        "other_province": (f"Hà Nội {tag}", ["council_member"], kit.OTHER_PROVINCE),
        "inactive": (f"Cựu cán bộ {tag}", ["council_member"], kit.DISTRICT),
    }
    accounts = {
        key: flows.official_account(admin, roles, unit, display_name=name)
        for key, (name, roles, unit) in specs.items()
    }
    reply = admin("PATCH", f"/api/v1/accounts/{accounts['inactive']['id']}", json={"active": False})
    assert reply.status == 200, reply.body
    deliver_accounts(registration, evaluation)
    return People(
        tag,
        {key: a["id"] for key, a in accounts.items()},
        {key: a["email"] for key, a in accounts.items()},
    )


@pytest.fixture(scope="module")
def province_secretariat(admin: flows.Actor, eval_call: flows.Transport) -> flows.Actor:
    return kit.official(admin, eval_call, ["secretariat"], kit.PROVINCE)


def listed(actor: flows.Actor, people: People, query: str = "") -> list[dict[str, Any]]:
    reply = actor("GET", f"/api/v1/officials?q={people.tag}&limit=200{query}")
    assert reply.status == 200, reply.body
    assert reply.body["next"] is None
    return reply.body["items"]


def keys(people: People, items: list[dict[str, Any]]) -> set[str]:
    by_id = {v: k for k, v in people.ids.items()}
    return {by_id[item["account_id"]] for item in items}


def problem(reply: flows.Reply, status: int, slug: str) -> None:
    assert reply.status == status, reply.body
    assert reply.headers["Content-Type"] == "application/problem+json"
    assert reply.body["type"] == f"urn:ocop:problem:{slug}"


def test_a_district_secretariat_sees_its_districts_active_officials(
    people: People, secretariat: flows.Actor
) -> None:
    items = listed(secretariat, people)
    # The district's officials and its communes'; not the province above it, not the
    # neighbouring district, not another province, and never a deactivated account.
    assert keys(people, items) == {"chair", "member", "commune"}
    chair = next(i for i in items if i["account_id"] == people.ids["chair"])
    assert chair == {
        "account_id": people.ids["chair"],
        "display_name": f"Bà Chủ tịch {people.tag}",
        "email": people.emails["chair"],
        "roles": ["council_chair"],
        "unit": kit.DISTRICT,
    }


def test_listed_by_name(people: People, secretariat: flows.Actor) -> None:
    names = [i["display_name"] for i in listed(secretariat, people)]
    assert names == sorted(names)
    assert names[0].startswith("Anh")


def test_a_province_secretariat_sees_its_whole_province(
    people: People, province_secretariat: flows.Actor
) -> None:
    assert keys(people, listed(province_secretariat, people)) == {
        "chair",
        "member",
        "commune",
        "province",
        "other_district",
    }


def test_a_national_admin_sees_every_province(
    people: People, admin: flows.Actor, eval_call: flows.Transport
) -> None:
    everyone = kit.on_evaluation(eval_call, admin)
    assert keys(people, listed(everyone, people)) == set(people.ids) - {"inactive"}


def test_filter_by_role(people: People, secretariat: flows.Actor) -> None:
    assert keys(people, listed(secretariat, people, "&role=council_chair")) == {"chair"}
    assert keys(people, listed(secretariat, people, "&role=council_member")) == {"member"}
    assert listed(secretariat, people, "&role=auditor") == []


def test_filter_by_text_in_name_or_email(people: People, secretariat: flows.Actor) -> None:
    def found(q: str) -> set[str]:
        reply = secretariat("GET", "/api/v1/officials?" + urlencode({"q": q}))
        assert reply.status == 200, reply.body
        return {i["account_id"] for i in reply.body["items"]}

    assert found(f"chủ tịch {people.tag.upper()}") == {people.ids["chair"]}
    assert found(people.emails["member"].split("@")[0].upper()) == {people.ids["member"]}
    assert found(f"{people.tag}%") == set()  # no wildcards


def test_pages(people: People, province_secretariat: flows.Actor) -> None:
    seen: list[str] = []
    after = ""
    while True:
        reply = province_secretariat("GET", f"/api/v1/officials?q={people.tag}&limit=2{after}")
        assert reply.status == 200, reply.body
        assert len(reply.body["items"]) <= 2
        seen += [i["display_name"] for i in reply.body["items"]]
        if reply.body["next"] is None:
            break
        after = f"&after={reply.body['next']}"
    assert len(seen) == 5 and seen == sorted(seen)


def test_bad_arguments_answer_422(secretariat: flows.Actor) -> None:
    for query in ("limit=201", "limit=0", "role=applicant", f"after={uuid.uuid4()}"):
        problem(secretariat("GET", f"/api/v1/officials?{query}"), 422, "validation-error")


def test_council_members_and_applicants_are_refused(
    people: People, admin: flows.Actor, call: flows.Transport, eval_call: flows.Transport
) -> None:
    member = kit.official(admin, eval_call, ["council_member"], kit.DISTRICT)
    applicant = kit.on_evaluation(eval_call, kit.applicant(call))
    for actor in (member, applicant):
        problem(actor("GET", "/api/v1/officials"), 403, "forbidden")


def test_anonymous_calls_answer_401(eval_call: flows.Transport) -> None:
    problem(eval_call("GET", "/api/v1/officials"), 401, "unauthorized")


# --- found and ordered as a Vietnamese reader expects ------------------------------------------

# In the order of the Vietnamese alphabet (a ă â … d đ … o ô ơ …, tones after their letter),
# which code points get wrong (Â, Đ, Ô, Ơ after Z; Ánh after Anh Tuấn).
VIETNAMESE_ORDER = (
    "Ánh Hồng",
    "Anh Tuấn",
    "Ân Minh",
    "Dương Thị An",
    "Đặng Văn Bình",
    "Nguyễn Văn An",
    "Nguyễn Văn Ấn",
    "Ông Bảy",
    "Ơn Hòa",
    "Zô Văn Em",
)


@pytest.fixture(scope="module")
def named(admin: flows.Actor, registration: Any, evaluation: Any) -> People:
    tag = uuid.uuid4().hex[:8]
    accounts = {}
    for name in reversed(VIETNAMESE_ORDER):
        # Zô Văn Em works in Thị xã Quảng Trị, the others in Thành phố Đông Hà.
        unit = kit.OTHER_DISTRICT if name.startswith("Zô") else kit.DISTRICT
        accounts[name] = flows.official_account(
            admin, ["council_member"], unit, display_name=f"{name} {tag}"
        )
    deliver_accounts(registration, evaluation)
    return People(
        tag,
        {name: a["id"] for name, a in accounts.items()},
        {name: a["email"] for name, a in accounts.items()},
    )


def _search(actor: flows.Actor, q: str, **more: Any) -> flows.Reply:
    reply = actor("GET", "/api/v1/officials?" + urlencode({"q": q, **more}))
    assert reply.status == 200, reply.body
    return reply


def test_in_vietnamese_alphabetical_order(named: People, province_secretariat: flows.Actor) -> None:
    names = [i["display_name"] for i in _search(province_secretariat, named.tag).body["items"]]
    assert names == [f"{name} {named.tag}" for name in VIETNAMESE_ORDER]


def test_pages_in_vietnamese_order(named: People, province_secretariat: flows.Actor) -> None:
    seen: list[str] = []
    after: dict[str, str] = {}
    while True:
        reply = _search(province_secretariat, named.tag, limit=3, **after)
        assert len(reply.body["items"]) <= 3
        seen += [i["display_name"].removesuffix(f" {named.tag}") for i in reply.body["items"]]
        if reply.body["next"] is None:
            break
        after = {"after": reply.body["next"]}
    assert seen == list(VIETNAMESE_ORDER)


def test_found_without_tones_marks_or_case(
    named: People, province_secretariat: flows.Actor
) -> None:
    def found(q: str) -> list[str]:
        items = _search(province_secretariat, f"{q} {named.tag}").body["items"]
        return [i["display_name"].removesuffix(f" {named.tag}") for i in items]

    assert found("nguyen van an") == ["Nguyễn Văn An", "Nguyễn Văn Ấn"]
    assert found("NGUYỄN VĂN ẤN") == ["Nguyễn Văn An", "Nguyễn Văn Ấn"]  # marks ignored both ways
    assert found("dang") == ["Đặng Văn Bình"]  # đ is found as d
    assert found("đặng van") == ["Đặng Văn Bình"]
    assert found("an nguyen") == ["Nguyễn Văn An", "Nguyễn Văn Ấn"]  # words in any order
    assert found("ong bay") == ["Ông Bảy"]
    assert found("o%") == []  # no wildcards


def test_found_by_unit_name_and_reference(named: People, province_secretariat: flows.Actor) -> None:
    in_dong_ha = _search(province_secretariat, f"dong ha {named.tag}").body["items"]
    assert {i["account_id"] for i in in_dong_ha} == {
        named.ids[name] for name in VIETNAMESE_ORDER if not name.startswith("Zô")
    }
    in_town = _search(province_secretariat, f"{kit.OTHER_DISTRICT} {named.tag}").body["items"]
    assert [i["account_id"] for i in in_town] == [named.ids["Zô Văn Em"]]


def test_a_search_stays_in_reach(named: People, secretariat: flows.Actor) -> None:
    # Zô Văn Em works in the neighbouring district: found by the province, not by Đông Hà.
    assert _search(secretariat, f"zo {named.tag}").body["items"] == []
    assert len(_search(secretariat, named.tag).body["items"]) == 9


def test_a_districts_name_finds_its_communes_officials_too(
    people: People, province_secretariat: flows.Actor
) -> None:
    # The commune officer works in a ward of Thành phố Đông Hà: found by the district's name.
    found = _search(province_secretariat, f"thanh pho dong ha {people.tag}").body["items"]
    assert keys(people, found) == {"chair", "member", "commune"}
    found = _search(province_secretariat, f"thi xa quang tri {people.tag}").body["items"]
    assert keys(people, found) == {"other_district"}
