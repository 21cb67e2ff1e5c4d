"""Lists that fit each role under the people on a case (ADR 0009): a council member's home holds
the evaluations of their own seats, named by product, producer, level and deadline; the conflict
question names the producer and product and shows nothing else of the dossier; an official who
only oversees an evaluation is not asked to declare; a secretariat's queue holds the cases at
its own level; the commune's queue offers "take", and the officer's own dossiers follow."""

from __future__ import annotations

import html
import re
import uuid
from datetime import date, timedelta
from typing import Any

import pytest

from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver
from tests.unit.evaluation.sheets import answers_for


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _table(page: str, marker: str) -> str:
    """The text of the table carrying ``marker`` (a data- attribute)."""
    found = re.search(rf"<table {marker}>.*?</table>", page, re.S)
    assert found, f"no table {marker}"
    return _text(found.group(0))


def _section(page: str, heading_id: str) -> str:
    found = re.search(rf'<section aria-labelledby="{heading_id}">.*?</section>', page, re.S)
    return _text(found.group(0)) if found else ""


def _names() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:6]
    return f"Trà hoa vàng {tag}", f"HTX Ba Tầng {tag}"


def _filed(call: flows.Transport, product: str, producer: str) -> dict[str, Any]:
    """A new applicant's dossier with its own product and producer names, submitted."""
    applicant = flows.register(call, "applicant")
    reply = applicant("POST", "/api/v1/producers", json={**flows.producer_body(), "name": producer})
    assert reply.status == 201, reply.body
    body = {**flows.dossier_body(reply.body["id"], kit.SET_CODE), "product_name": product}
    reply = applicant("POST", "/api/v1/dossiers", json=body)
    assert reply.status == 201, reply.body
    dossier = reply.body
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    return submitted.body


def _awaiting_council(
    call: flows.Transport,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
    officer: flows.Actor,
    product: str,
    producer: str,
) -> str:
    """A case the commune accepted and proposed: awaiting a council at the district."""
    submitted = _filed(call, product, producer)
    accepted = flows.act(officer, submitted, "accept")
    assert accepted.status == 200, accepted.body
    assert deliver(registration, evaluation, submitted["id"]) == 2
    kit.propose(kit.on_evaluation(eval_call, officer), submitted["id"])
    return submitted["id"]


@pytest.fixture()
def case_maker(call, eval_call, registration, evaluation, commune_officer) -> Any:
    def make(product: str, producer: str) -> str:
        return _awaiting_council(
            call, eval_call, registration, evaluation, commune_officer, product, producer
        )

    return make


@pytest.fixture()
def two_councils(admin, eval_call, evaluation) -> tuple[kit.Council, kit.Council]:
    return tuple(  # type: ignore[return-value]
        kit.form_council(
            admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=1
        )
        for _ in range(2)
    )


def _assign(secretariat: flows.Actor, dossier_id: str, council: kit.Council, **extra: Any) -> str:
    reply = kit.assign(secretariat, dossier_id, council.id, **extra)
    assert reply.status == 201, reply.body
    return reply.body["id"]


# --- 1. a council member's home ------------------------------------------------------------


def test_a_members_home_lists_the_evaluations_of_their_own_seats_with_the_case_facts(
    new_browser: Any,
    officials: dict[str, flows.Actor],
    evaluation: Any,
    case_maker: Any,
    two_councils: tuple[kit.Council, kit.Council],
) -> None:
    mine, theirs = two_councils
    (product, producer), (other_product, other_producer) = _names(), _names()
    closes_on = date.today() + timedelta(days=83)
    round_id = kit.schedule_round(
        evaluation,
        level="district",
        unit=kit.DISTRICT,
        proposals_due=date.today() + timedelta(days=41),
        closes_on=closes_on,
    )
    secretariat = officials["secretariat"]
    ours = _assign(secretariat, case_maker(product, producer), mine, round_id=round_id)
    _assign(secretariat, case_maker(other_product, other_producer), theirs)

    member = new_browser()
    member.sign_in(mine.members[0].account["email"])
    listed = _table(member.html, "data-evaluations")
    assert product in listed and producer in listed
    assert "huyện" in listed and f"{closes_on:%d/%m/%Y}" in listed
    assert f"/evaluations/{ours}" in member.html
    # Another council's evaluation of the same district is not theirs to see.
    assert other_product not in member.html and other_producer not in member.html

    # The API behind it: `mine` lists the seats' evaluations only, with the case facts.
    got = mine.members[0]("GET", "/api/v1/evaluations", query_string={"mine": "true"}).body
    assert [e["id"] for e in got["items"]] == [ours]
    (item,) = got["items"]
    assert (item["product_name"], item["producer_name"], item["level"]) == (
        product,
        producer,
        "district",
    )
    assert item["round_closes_on"] == closes_on.isoformat()
    # The secretariat oversees both but sits on neither.
    everything = secretariat("GET", "/api/v1/evaluations", query_string={"limit": 200}).body
    assert ours in {e["id"] for e in everything["items"]}
    seated = secretariat("GET", "/api/v1/evaluations", query_string={"mine": "true"}).body
    assert seated["items"] == []


# --- 2. the conflict question ----------------------------------------------------------------


def test_the_conflict_question_names_the_producer_and_product_and_nothing_else(
    new_browser: Any,
    officials: dict[str, flows.Actor],
    case_maker: Any,
    two_councils: tuple[kit.Council, kit.Council],
) -> None:
    council = two_councils[0]
    product, producer = _names()
    dossier_id = case_maker(product, producer)
    evaluation_id = _assign(officials["secretariat"], dossier_id, council)

    member = new_browser()
    member.sign_in(council.members[0].account["email"])
    page = member.get(f"/evaluations/{evaluation_id}")
    assert member.status == 200
    about = re.search(r"<p data-conflict-about>(.*?)</p>", page, re.S)
    assert about and _text(about.group(1)).strip() == f"Chủ thể {producer}, sản phẩm {product}."
    question = page.index("Bạn có xung đột lợi ích với chủ thể không?")
    assert page.index("data-conflict-about") < question
    # Nothing of the dossier before the declaration: no documents, self-assessment, code.
    assert 'id="h-dossier"' not in page and "giay-phep.pdf" not in page
    code = officials["secretariat"]("GET", f"/api/v1/cases/{dossier_id}").body["product_code"]
    assert "Tự đánh giá của chủ thể" not in page and code not in page
    assert 'action="/evaluations/' in page and "/conflict" in page

    # Declaring no conflict opens the dossier; the question is gone.
    member.post(f"/evaluations/{evaluation_id}/conflict", {"conflicted": "no"})
    assert "giay-phep.pdf" in member.html and "data-conflict-about" not in member.html


def test_a_member_who_declares_a_conflict_goes_home_and_no_longer_lists_the_case(
    new_browser: Any,
    officials: dict[str, flows.Actor],
    case_maker: Any,
    two_councils: tuple[kit.Council, kit.Council],
) -> None:
    council = two_councils[0]
    product, producer = _names()
    evaluation_id = _assign(officials["secretariat"], case_maker(product, producer), council)
    member = new_browser()
    member.sign_in(council.members[0].account["email"])
    assert product in _table(member.html, "data-evaluations")
    member.get(f"/evaluations/{evaluation_id}")
    member.post(
        f"/evaluations/{evaluation_id}/conflict", {"conflicted": "yes", "reason": "Cùng HTX"}
    )
    assert member.status == 200
    assert "Đã ghi nhận kê khai xung đột lợi ích" in member.html
    assert product not in member.html  # home, without the case
    got = council.members[0]("GET", "/api/v1/evaluations", query_string={"mine": "true"}).body
    assert evaluation_id not in {e["id"] for e in got["items"]}


# --- 3. an official without a seat ----------------------------------------------------------


def test_an_official_without_a_seat_is_not_offered_the_declaration(
    new_browser: Any,
    admin: flows.Actor,
    eval_call: flows.Transport,
    officials: dict[str, flows.Actor],
    case_maker: Any,
    two_councils: tuple[kit.Council, kit.Council],
) -> None:
    # The district's secretariat who also holds a council role, but no seat on this council.
    overseer = kit.official(admin, eval_call, ["secretariat", "council_member"], kit.DISTRICT)
    product, producer = _names()
    evaluation_id = _assign(
        officials["secretariat"], case_maker(product, producer), two_councils[0]
    )
    browser = new_browser()
    browser.sign_in(overseer.account["email"])
    page = browser.get(f"/evaluations/{evaluation_id}")
    assert browser.status == 200
    assert "/conflict" not in page and 'name="conflicted"' not in page
    assert "data-not-seated" in page and "Bạn không ngồi trong hội đồng này" in page
    facts = re.search(r"<dl class=\"facts\" data-case>.*?</dl>", page, re.S)
    assert facts and product in facts.group(0) and producer in facts.group(0)
    assert 'id="h-dossier"' not in page
    # Their home lists no evaluation as theirs to score.
    assert product not in _table(browser.get("/"), "data-evaluations")


# --- 4. the secretariat's queue --------------------------------------------------------------


def test_the_secretariats_queue_holds_the_cases_at_its_level_only(
    new_browser: Any,
    admin: flows.Actor,
    eval_call: flows.Transport,
    evaluation: Any,
    officials: dict[str, flows.Actor],
    case_maker: Any,
    two_councils: tuple[kit.Council, kit.Council],
) -> None:
    council = two_councils[0]
    district = officials["secretariat"]
    province = kit.official(admin, eval_call, ["secretariat"], kit.PROVINCE)
    (up, up_producer), (here, here_producer) = _names(), _names()
    forwarded = case_maker(up, up_producer)
    waiting = case_maker(here, here_producer)
    # The district council scores 4★, above the district's power: the case goes to the province.
    evaluation_id = _assign(district, forwarded, council)
    kit.score_all(council, evaluation_id, [answers_for(t, marks=4) for t in (80, 78, 82)])
    closed = kit.finalise(council.secretary, evaluation_id)
    assert closed.status == 200 and closed.body["outcome"] == "forwarded", closed.body
    case = district("GET", f"/api/v1/cases/{forwarded}").body  # still read, read-only
    assert (case["level"], case["stage"]) == ("province", "awaiting_assignment")

    office = new_browser()
    office.sign_in(district.account["email"])
    queue = _table(office.html, 'data-list="home.awaiting_assignment"')
    assert here in queue and up not in queue
    assert f"/cases/{forwarded}/assign" not in office.html

    provincial = new_browser()
    provincial.sign_in(province.account["email"])
    queue = _table(provincial.html, 'data-list="home.awaiting_assignment"')
    assert up in queue and here not in queue

    # The API: the district reads the forwarded case; `current` leaves it out of its queue.
    def listed(actor: flows.Actor, **args: str) -> set[str]:
        query = {"stage": "awaiting_assignment", "limit": 200, **args}
        return {
            c["dossier_id"] for c in actor("GET", "/api/v1/cases", query_string=query).body["items"]
        }

    assert forwarded in listed(district)
    assert forwarded not in listed(district, current="true")
    assert waiting in listed(district, current="true")
    assert forwarded in listed(province, current="true")

    # The province assigns it; the district's members, who scored it, read the case on but
    # their home lists only their own seats' evaluations, not the province's.
    seats = kit.form_council(
        admin, eval_call, evaluation, level="province", unit=kit.PROVINCE, members=1
    )
    at_province = _assign(province, forwarded, seats)
    scorer = council.members[0]
    area = scorer("GET", "/api/v1/evaluations", query_string={"status": "open"}).body
    assert at_province in {e["id"] for e in area["items"]}
    member = new_browser()
    member.sign_in(scorer.account["email"])
    assert up not in _table(member.html, "data-evaluations")
    assert f"/evaluations/{at_province}" not in member.html


# --- 5. the commune officer ------------------------------------------------------------------


def test_the_commune_queue_offers_take_and_the_officer_then_handles_the_dossier(
    new_browser: Any,
    admin: flows.Actor,
    call: flows.Transport,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
) -> None:
    first = kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE)
    second = kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE)
    product, producer = _names()
    dossier = _filed(call, product, producer)

    taker, colleague = new_browser(), new_browser()
    taker.sign_in(first.account["email"])
    colleague.sign_in(second.account["email"])
    for page in (taker.html, colleague.html):
        assert product in _table(page, "data-queue")
        assert product not in _section(page, "h-commune").split("Hồ sơ tôi đang xử lý")[1]
    assert f'action="/dossiers/{dossier["id"]}/take"' in taker.html

    taker.post(f"/dossiers/{dossier['id']}/take", {"version": dossier["version"]})
    assert "Đã nhận xử lý hồ sơ." in taker.html
    assert "Bạn đang xử lý hồ sơ này." in taker.html  # the dossier's page
    assert "Nhận xử lý" not in _section(taker.html, "h-actions")
    assert "Tiếp nhận hồ sơ" in _section(taker.html, "h-actions")
    home = taker.get("/")
    assert product not in _table(home, "data-queue")
    assert product in _section(home, "h-commune").split("Hồ sơ tôi đang xử lý")[1]

    # The colleague no longer sees it; the take button of the page they loaded says why.
    colleague.post(f"/dossiers/{dossier['id']}/take", {"version": dossier["version"]})
    assert "cán bộ khác đã nhận xử lý" in colleague.html
    assert product not in colleague.html

    # The commune review list holds the cases its officer handles.
    registration_actor = flows.Actor(call, first.token, first.account)
    current = registration_actor("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert flows.act(registration_actor, current, "accept").status == 200
    assert deliver(registration, evaluation, dossier["id"]) == 3
    assert product in _table(taker.get("/"), 'data-list="home.reviews"')
    assert product not in colleague.get("/")


def test_the_handling_officer_hands_the_dossier_to_a_colleague_once_confirmed(
    new_browser: Any,
    admin: flows.Actor,
    call: flows.Transport,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
) -> None:
    from tests.support.cases import deliver_accounts

    first = kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE)
    second = kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE)
    elsewhere = kit.official(admin, eval_call, ["commune_officer"], flows.OTHER_COMMUNE)
    deliver_accounts(registration, evaluation)  # the officials the hand-over lists
    product, producer = _names()
    dossier = _filed(call, product, producer)
    handler, colleague = new_browser(), new_browser()
    handler.sign_in(first.account["email"])
    colleague.sign_in(second.account["email"])
    handler.post(f"/dossiers/{dossier['id']}/take", {"version": dossier["version"]})

    # The hand-over lists the commune's other officers only.
    form = handler.html.split("data-hand-over")[1].split("</form>")[0]
    assert second.account["email"] in form
    assert first.account["email"] not in form and elsewhere.account["email"] not in form
    version = int(form.split('name="version" value="')[1].split('"')[0])

    # Not without the confirmation; then to the colleague, who is told and now handles it.
    to_colleague = {"version": version, "account_id": second.account["id"]}
    handler.post(f"/dossiers/{dossier['id']}/hand-over", to_colleague)
    assert "Hãy đánh dấu ô xác nhận" in handler.html
    handler.post(f"/dossiers/{dossier['id']}/hand-over", {**to_colleague, "confirm": "yes"})
    assert "Đã giao hồ sơ cho cán bộ khác xử lý." in handler.html
    mine = _section(colleague.get("/"), "h-commune").split("Hồ sơ tôi đang xử lý")[1]
    assert product in mine
    assert product not in handler.get("/")
