"""The portal in headless Chromium under the two-tier regime (Decision 26/2026, OCOP_REGIME
two-tier, the 2025 tree): the producer places itself by province then commune (no district),
two products go from the commune to the province council, which proposes both to the national
council (trung ương). One is scored 5★ there and the minister recognises it; the other scores
4★, is handed back down to the province, whose chair recognises it. Every step on the portal's
pages; only the second dossier's filing and intake go over the API (the first shows them).

Same processes as the four-level browser test (tests/e2e/test_portal_browser.py), started with
the regime set; the portal itself is not told the regime: it learns it from ``GET /units``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.rubrics import load_rubric
from tests.e2e.browser import DESKTOP, PHONE, Person
from tests.e2e.stack import Stack
from tests.e2e.test_evaluation_e2e import PROCESSES as EVALUATION_PROCESSES
from tests.e2e.test_evaluation_e2e import _council, _eventually, _official, _on
from tests.support import councils as kit
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROCESSES = EVALUATION_PROCESSES
SET_CODE = "04"
PROVINCE = "2025:province:96"  # Tỉnh Cà Mau
COMMUNE = "2025:commune:32002"  # Phường An Xuyên, in it


@pytest.fixture(scope="module", autouse=True)
def two_tier_regime() -> Iterator[None]:
    """Every process of this module's stack runs the two-tier regime (set before it starts)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OCOP_REGIME", "two-tier")
        yield


def score(
    person: Callable[[], Person], people: list[flows.Actor], results: dict[str, tuple[int, int]]
) -> None:
    """The chair (the first of the council) scores every evaluation in ``results`` (its id →
    the total and the star marks met) on the portal's pages, three members over the API; the
    chair then reads the quorum and closes each."""
    sheet = load_rubric().sheet(SET_CODE)
    for evaluation_id, (total, marks) in results.items():
        for member in people[1:4]:
            assert kit.declare(member, evaluation_id).status == 201
            answers = answers_for(total, marks=marks, sheet=sheet)
            assert kit.submit(member, evaluation_id, answers).status == 201
    chair = person()
    chair.sign_in(people[0].account["email"])
    for evaluation_id, (total, marks) in results.items():
        chair.go(f"/evaluations/{evaluation_id}")
        chair.page.check('input[name="conflicted"][value="no"]')
        chair.submit("Gửi kê khai")
        chair.fill_sheet(answers_for(total, marks=marks, sheet=sheet))
        chair.submit("Tính điểm")
        assert chair.page.inner_text("[data-total]") == str(total)
        chair.submit("Nộp phiếu chấm")
        assert "Đã lưu phiếu chấm." in chair.flash()
        assert "Đủ số lượng" in chair.page.inner_text("[data-quorum]")
        chair.submit("Kết thúc chấm điểm")
        assert "Đã kết thúc chấm điểm." in chair.flash()
    chair.close()


def ok(status: int) -> bool:
    return status == 200


def case_of(actor: flows.Actor, dossier_id: str) -> dict[str, Any]:
    reply = actor("GET", f"/api/v1/cases/{dossier_id}")
    assert reply.status == 200, reply.body
    return reply.body


def assign(office: Person, dossier_id: str, council_id: str, button: str) -> None:
    office.go(f"/cases/{dossier_id}/assign")
    office.page.select_option("#f-council_id", council_id)
    office.submit(button)


def test_two_products_climb_to_the_national_council_and_one_comes_back_to_the_province(
    stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    def person(viewport: dict[str, int] = DESKTOP) -> Person:
        return Person(chromium, portal, artifacts, viewport)

    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    officer = _official(admin, ecall, ["commune_officer"], COMMUNE)
    province_office = _official(admin, ecall, ["secretariat"], PROVINCE)
    province_chair = _official(admin, ecall, ["decision_authority"], PROVINCE)
    national_office = _official(admin, ecall, ["secretariat"], "national")
    minister = _official(admin, ecall, ["decision_authority"], "national")
    p_council, p_people = _council(province_office, admin, ecall, "province", PROVINCE)
    n_council, n_people = _council(national_office, admin, ecall, "national", "national")

    # The producer places itself in the 2025 tree: a province, then its communes at once.
    applicant = flows.register(rcall)
    producer = person(PHONE)
    producer.sign_in(applicant.account["email"])
    producer.go("/dossiers/new")  # no producer yet: its form first
    page = producer.page
    body = flows.producer_body(COMMUNE)
    page.fill("#f-name", body["name"])
    page.select_option("#f-entity_type", body["entity_type"])
    for key in ("name", "position", "ethnicity"):
        page.fill(f"#f-representative-{key}", body["representative"][key])
    page.select_option("#f-representative-gender", body["representative"]["gender"])
    with page.expect_navigation():  # unit_picker.js loads the province's communes
        page.select_option("#f-unit-province", "96")
    assert page.locator("#f-unit-district").count() == 0  # no district level in this tree
    page.select_option("#f-unit", COMMUNE)
    page.fill("#f-address", "Phường An Xuyên, Tỉnh Cà Mau")
    page.fill("#f-phone", body["phone"])
    page.fill("#f-email", body["email"])
    producer.shot("t2-01-producer-province-then-commune-phone")
    producer.submit("Lưu")
    assert "Đã lưu thông tin chủ thể." in producer.flash()
    page.fill("#f-product_name", "Mật ong rừng U Minh")
    page.select_option("#f-product_set_code", SET_CODE)
    page.check("input[name=commitment]")
    producer.submit("Tạo hồ sơ")
    producer.fill_sheet(answers_for(95, marks=5, sheet=load_rubric().sheet(SET_CODE)))
    producer.submit("Lưu tự đánh giá")
    pdf = tmp_path / "giay-dang-ky-kinh-doanh.pdf"
    pdf.write_bytes(flows.PDF)
    page.select_option("#f-kind", "business_registration")
    page.set_input_files("#f-file", str(pdf))
    producer.submit("Tải lên")
    producer.submit("Nộp hồ sơ")
    assert "Đã nộp hồ sơ." in producer.flash()
    honey = page.url.split("?")[0].split("#")[0].rsplit("/", 1)[1]

    # A second product of the same producer, filed, taken in and proposed over the API.
    [held] = applicant("GET", "/api/v1/producers").body
    dossier = flows.create_dossier(applicant, held["id"], SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit").body
    assert flows.act(_on(rcall, officer), submitted, "accept").status == 200
    rice = dossier["id"]

    # The commune officer takes the first in and proposes it on Form 03.
    commune = person()
    commune.sign_in(officer.account["email"])
    commune.page.get_by_role("link", name="Mật ong rừng U Minh").first.click()
    commune.submit("Tiếp nhận hồ sơ")
    assert "Đã tiếp nhận hồ sơ." in commune.flash()
    for dossier_id in (honey, rice):
        _eventually(lambda d=dossier_id: officer("GET", f"/api/v1/cases/{d}").status, ok)
    commune.go(f"/cases/{honey}/review")
    for name in ("local_raw_materials", "local_labour", "idea_origin", "local_identity"):
        commune.page.fill(f"#f-local_criteria-{name}-assessment", "Đạt yêu cầu tại địa phương")
        commune.page.check(f'input[name="local_criteria.{name}.rating"][value="yes"]')
    commune.page.check('input[name="proposal"][value="propose"]')
    commune.submit("Gửi báo cáo")
    assert "Đã gửi báo cáo cấp xã." in commune.flash()
    kit.propose(officer, rice)
    commune.close()

    # Next comes the province: its secretariat hands both to its council, which scores 5★.
    office = person()
    office.sign_in(province_office.account["email"])
    assert "Hồ sơ theo huyện" not in office.go("/dashboard/").inner_text("main")
    for dossier_id in (honey, rice):
        assign(office, dossier_id, p_council, "Giao hội đồng")
    office.close()
    opened = {d: case_of(province_office, d)["evaluations"][-1]["id"] for d in (honey, rice)}
    score(person, p_people, {opened[honey]: (92, 5), opened[rice]: (91, 5)})
    for dossier_id in (honey, rice):
        case = case_of(province_office, dossier_id)
        assert (case["level"], case["stage"]) == ("national", "awaiting_assignment")

    # The national council: 5★ for the honey, 4★ for the rice, which goes back down.
    office = person()
    office.sign_in(national_office.account["email"])
    for dossier_id in (honey, rice):
        office.go(f"/cases/{dossier_id}/assign")
        assert "trung ương" in office.text()  # the level, in the portal's words
        assign(office, dossier_id, n_council, "Giao hội đồng")
    office.shot("t2-02-national-secretariat-assigned")
    office.close()
    opened = {d: case_of(national_office, d)["evaluations"][-1]["id"] for d in (honey, rice)}
    score(person, n_people, {opened[honey]: (94, 5), opened[rice]: (85, 4)})
    waiting = case_of(national_office, honey)
    assert (waiting["level"], waiting["stage"], waiting["pending_rank"]) == (
        "national",
        "awaiting_decision",
        5,
    )
    handed = case_of(province_office, rice)
    assert (handed["level"], handed["stage"], handed["pending_rank"]) == (
        "province",
        "awaiting_decision",
        4,
    )

    # The minister recognises 5★; the province chair the 4★ handed back.
    numbers = {}
    for who, dossier_id, stars in ((minister, honey, 5), (province_chair, rice, 4)):
        # The authority is on the case once the worker has applied the council's close.
        _eventually(lambda w=who, d=dossier_id: w("GET", f"/api/v1/cases/{d}").status, ok)
        authority = person()
        authority.sign_in(who.account["email"])
        authority.go(f"/cases/{dossier_id}/decide")
        assert authority.page.locator("#f-decision_number").count() == 1, authority.text()
        authority.page.fill("#f-decision_number", f"{stars}5/QĐ-TW")
        authority.submit(f"Công nhận {stars} sao và cấp giấy chứng nhận")
        found = re.search(r"OCOP-[0-9A-Z.]+-\d{4}-\d{5}", authority.flash())
        assert found, authority.flash()
        numbers[dossier_id] = found.group(0)
        authority.close()
    assert numbers[honey].split("-")[1] == "TW"  # issued by the national level

    # The producer opens the 5★ certificate; the level reads "trung ương".
    producer.go(f"/certificates/of/{honey}")
    assert producer.page.inner_text(".stars-big") == "★★★★★"
    assert numbers[honey] in producer.text()
    producer.shot("t2-03-certificate-5-stars-phone")
    producer.go(f"/dossiers/{rice}")
    assert numbers[rice] in producer.text()
    producer.close()
