"""Two products climb to the national council (trung ương) on the portal's pages, one regime's
tree at a time: the producer places itself with the unit picker (province, district if the tree
has one, commune), two products go up from the commune through every scoring level, which
proposes both to the next. The national council scores one 5★, recognised by the minister; the
other 4★, handed back to the province, whose chair recognises it.

Pages for every step but the second dossier's filing and intake, and the three council members
besides the chair at each level (over the API: the first dossier and the chair show them). A
test module per regime (test_portal_two_tier_browser.py, test_portal_four_level_browser.py)
names its :class:`Tree`, sets its regime with :func:`regime` and calls :func:`climb`. The
portal is not told the regime: it learns it from ``GET /units``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.rubrics import load_rubric
from tests.e2e.browser import DESKTOP, PHONE, Person
from tests.e2e.stack import Stack
from tests.e2e.test_evaluation_e2e import PROCESSES, _council, _official
from tests.support import councils as kit
from tests.support import flows
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

__all__ = ["PROCESSES", "Tree", "climb", "regime"]

SET_CODE = "04"


@dataclass(frozen=True)
class Tree:
    """A regime's tree as the climb walks it: the units, and where the producer lives."""

    regime: str  # OCOP_REGIME
    commune: str
    scoring: tuple[tuple[str, str], ...]  # (level, unit) of each council below national
    picker: tuple[str, ...]  # the unit picker's choices above the commune, from the province
    address: str
    product: str  # the first product's name, filed on the pages
    shots: str  # the screenshots' prefix

    @property
    def province(self) -> str:
        return dict(self.scoring)["province"]

    @property
    def has_districts(self) -> bool:
        return len(self.picker) > 1


def regime(name: str) -> Any:
    """A module's autouse fixture: every process of its stack runs regime ``name`` (set
    before the stack starts)."""

    @pytest.fixture(scope="module", autouse=True)
    def in_regime() -> Iterator[None]:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("OCOP_REGIME", name)
            yield

    return in_regime


def score(
    person: Callable[[], Person], people: list[flows.Actor], results: dict[str, tuple[int, int]]
) -> None:
    """The chair (the first of the council) scores every evaluation in ``results`` (its id →
    the total and the star marks met) on the portal's pages, three members over the API; the
    chair then reads the quorum and closes each."""
    sheet = load_rubric().sheet(SET_CODE)
    for evaluation_id, (total, marks) in results.items():
        kit.score(people[1:4], evaluation_id, [answers_for(total, marks=marks, sheet=sheet)] * 3)
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


def assign(office: Person, dossier_id: str, council_id: str) -> None:
    office.go(f"/cases/{dossier_id}/assign")
    office.page.select_option("#f-council_id", council_id)
    office.submit("Giao hội đồng")
    assert "Đã giao hồ sơ cho hội đồng." in office.flash()


def file_first(tree: Tree, producer: Person, tmp_path: Path) -> str:
    """The producer, signed in with no producer yet, places itself in the tree (a province,
    its district if the tree has them, a commune) and files the first product; its id."""
    producer.go("/dossiers/new")  # no producer yet: its form first
    page = producer.page
    body = flows.producer_body(tree.commune)
    page.fill("#f-name", body["name"])
    page.select_option("#f-entity_type", body["entity_type"])
    for key in ("name", "position", "ethnicity"):
        page.fill(f"#f-representative-{key}", body["representative"][key])
    page.select_option("#f-representative-gender", body["representative"]["gender"])
    for field, code in zip(("#f-unit-province", "#f-unit-district"), tree.picker, strict=False):
        with page.expect_navigation():  # unit_picker.js loads the level below
            page.select_option(field, code)
    assert (page.locator("#f-unit-district").count() == 1) == tree.has_districts
    page.select_option("#f-unit", tree.commune)
    page.fill("#f-address", tree.address)
    page.fill("#f-phone", body["phone"])
    page.fill("#f-email", body["email"])
    producer.shot(f"{tree.shots}-01-producer-unit-picker-phone")
    producer.submit("Lưu")
    assert "Đã lưu thông tin chủ thể." in producer.flash()
    page.fill("#f-product_name", tree.product)
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
    return page.url.split("?")[0].split("#")[0].rsplit("/", 1)[1]


def climb(
    tree: Tree, stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    """Two products of one producer in ``tree`` from filing to their certificates: the first
    5★ from the minister, the second 4★ from the province chair after the national council
    hands it back."""

    def person(viewport: dict[str, int] = DESKTOP) -> Person:
        return Person(chromium, portal, artifacts, viewport)

    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    officer = _official(admin, ecall, ["commune_officer"], tree.commune)
    offices = {unit: _official(admin, ecall, ["secretariat"], unit) for _, unit in tree.scoring}
    councils = {
        unit: _council(offices[unit], admin, ecall, level, unit) for level, unit in tree.scoring
    }
    province_chair = _official(admin, ecall, ["decision_authority"], tree.province)
    national_office = _official(admin, ecall, ["secretariat"], "national")
    minister = _official(admin, ecall, ["decision_authority"], "national")
    n_council, n_people = _council(national_office, admin, ecall, "national", "national")

    # The producer places itself in the tree and files the first product on a phone.
    applicant = flows.register(rcall)
    producer = person(PHONE)
    producer.sign_in(applicant.account["email"])
    first = file_first(tree, producer, tmp_path)

    # A second product of the same producer, filed and taken in over the API.
    [held] = applicant("GET", "/api/v1/producers").body["items"]
    dossier = flows.create_dossier(applicant, held["id"], SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit").body
    assert flows.act(officer.on(rcall), submitted, "accept").status == 200
    second = dossier["id"]
    both = (first, second)

    # The commune officer takes the first in and proposes it on Form 03.
    commune = person()
    commune.sign_in(officer.account["email"])
    commune.page.get_by_role("link", name=tree.product).first.click()
    commune.submit("Tiếp nhận hồ sơ")
    assert "Đã tiếp nhận hồ sơ." in commune.flash()
    for dossier_id in both:
        eventually(lambda d=dossier_id: officer("GET", f"/api/v1/cases/{d}").status, ok)
    commune.go(f"/cases/{first}/review")
    for name in ("local_raw_materials", "local_labour", "idea_origin", "local_identity"):
        commune.page.fill(f"#f-local_criteria-{name}-assessment", "Đạt yêu cầu tại địa phương")
        commune.page.check(f'input[name="local_criteria.{name}.rating"][value="yes"]')
    commune.page.check('input[name="proposal"][value="propose"]')
    commune.submit("Gửi báo cáo")
    assert "Đã gửi báo cáo cấp xã." in commune.flash()
    kit.propose(officer, second)
    commune.close()

    # Each level below national: its secretariat hands both to its council, which scores 5★,
    # above its authority, so both go up to the next level.
    above = [level for level, _ in tree.scoring[1:]] + ["national"]
    for (level, unit), next_level in zip(tree.scoring, above, strict=True):
        office = person()
        office.sign_in(offices[unit].account["email"])
        if level == "province":  # the dashboard counts by district only where there are any
            districts = "Hồ sơ theo huyện" in office.go("/dashboard/").inner_text("main")
            assert districts == tree.has_districts
        for dossier_id in both:
            assign(office, dossier_id, councils[unit][0])
        office.shot(f"{tree.shots}-02-{level}-secretariat-assigned")
        office.close()
        opened = {d: case_of(offices[unit], d)["evaluations"][-1]["id"] for d in both}
        score(person, councils[unit][1], {opened[first]: (92, 5), opened[second]: (91, 5)})
        for dossier_id in both:
            case = case_of(offices[unit], dossier_id)
            assert (case["level"], case["stage"]) == (next_level, "awaiting_assignment")

    # The national council: 5★ for the first, 4★ for the second, which goes back down.
    office = person()
    office.sign_in(national_office.account["email"])
    for dossier_id in both:
        office.go(f"/cases/{dossier_id}/assign")
        assert "trung ương" in office.text()  # the level, in the portal's words
        assign(office, dossier_id, n_council)
    office.shot(f"{tree.shots}-03-national-secretariat-assigned")
    office.close()
    opened = {d: case_of(national_office, d)["evaluations"][-1]["id"] for d in both}
    score(person, n_people, {opened[first]: (94, 5), opened[second]: (85, 4)})
    waiting = case_of(national_office, first)
    assert (waiting["level"], waiting["stage"], waiting["pending_rank"]) == (
        "national",
        "awaiting_decision",
        5,
    )
    handed = case_of(offices[tree.province], second)
    assert (handed["level"], handed["stage"], handed["pending_rank"]) == (
        "province",
        "awaiting_decision",
        4,
    )

    # The minister recognises 5★; the province chair the 4★ handed back.
    signed = ((minister, first, 5, "55/QĐ-BNNMT"), (province_chair, second, 4, "44/QĐ-UBND"))
    numbers = decide(person, tree, signed)
    assert numbers[first].split("-")[1] == "TW"  # issued by the national level
    assert numbers[second].split("-")[1] == tree.province.rsplit(":", 1)[1]  # by the province

    # The producer opens the 5★ certificate; the level reads "trung ương".
    producer.go(f"/certificates/of/{first}")
    assert producer.page.inner_text(".stars-big") == "★★★★★"
    assert numbers[first] in producer.text()
    producer.shot(f"{tree.shots}-05-certificate-5-stars-phone")
    producer.go(f"/dossiers/{second}")
    assert numbers[second] in producer.text()
    producer.close()


def decide(
    person: Callable[[], Person], tree: Tree, signed: Iterable[tuple[Any, str, int, str]]
) -> dict[str, str]:
    """Each authority signs its decision on the portal; the certificate number of each case."""
    numbers = {}
    for who, dossier_id, stars, decision_number in signed:
        # The authority is on the case once the worker has applied the council's close.
        eventually(lambda w=who, d=dossier_id: w("GET", f"/api/v1/cases/{d}").status, ok)
        authority = person()
        authority.sign_in(who.account["email"])
        authority.go(f"/cases/{dossier_id}/decide")
        assert authority.page.locator("#f-decision_number").count() == 1, authority.text()
        authority.page.fill("#f-decision_number", decision_number)
        if stars == 5:
            authority.shot(f"{tree.shots}-04-minister-decision")
        authority.submit(f"Công nhận {stars} sao và cấp giấy chứng nhận")
        found = re.search(r"OCOP-[0-9A-Z.]+-\d{4}-\d{5}", authority.flash())
        assert found, authority.flash()
        numbers[dossier_id] = found.group(0)
        authority.close()
    return numbers
