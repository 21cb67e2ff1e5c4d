"""The portal in headless Chromium over real processes: a new producer files a dossier on a
phone, the commune takes it in, the district and province councils score it on their pages,
the province chair recognises 4★, the producer downloads the certificate and a consumer checks
it. Mostly in Vietnamese, the district secretariat and the public check in English.

Screenshots of the key pages go to ``$OCOP_E2E_ARTIFACTS`` (else a temporary directory); the
path is printed. The browser's fixtures and ``Person`` are shared (tests/e2e/browser.py).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.rubrics import load_rubric
from tests.e2e.browser import DESKTOP, PHONE, Person
from tests.e2e.stack import Stack
from tests.e2e.test_evaluation_e2e import PROCESSES as EVALUATION_PROCESSES
from tests.e2e.test_evaluation_e2e import _council, _official
from tests.support import flows
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROCESSES = EVALUATION_PROCESSES  # the same climb, driven through the portal's pages
SET_CODE = "04"


def test_a_producer_reaches_a_4_star_certificate_through_the_portal(
    stack: Stack, portal: str, chromium: Any, artifacts: Path, tmp_path: Path
) -> None:
    def person(viewport: dict[str, int] = DESKTOP) -> Person:
        return Person(chromium, portal, artifacts, viewport)

    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    admin = flows.login(rcall, "admin@ocop.local")
    officer = _official(admin, ecall, ["commune_officer"], flows.COMMUNE)
    district_office = _official(admin, ecall, ["secretariat"], "pre2025:district:461")
    province_office = _official(admin, ecall, ["secretariat"], "pre2025:province:45")
    province_chair = _official(admin, ecall, ["decision_authority"], "pre2025:province:45")
    d_council, d_people = _council(
        district_office, admin, ecall, "district", "pre2025:district:461"
    )
    p_council, p_people = _council(province_office, admin, ecall, "province", "pre2025:province:45")
    sheet = load_rubric().sheet(SET_CODE)

    # A producer registers and files on a phone.
    producer = person(PHONE)
    producer.go("/")
    producer.page.get_by_role("link", name="Đăng ký tài khoản chủ thể").first.click()
    email = f"portal-{os.getpid()}-{id(producer)}@example.vn"
    producer.page.fill("#f-display_name", "Nguyễn Thị Hoa")
    producer.page.fill("#f-email", email)
    producer.page.fill("#f-password", flows.DEMO_PASSWORD)
    producer.submit("Tạo tài khoản")
    assert "Xin chào, Nguyễn Thị Hoa" in producer.text()
    producer.page.get_by_role("link", name="Đăng ký thông tin chủ thể").click()
    body = flows.producer_body()
    page = producer.page
    page.fill("#f-name", body["name"])
    page.select_option("#f-entity_type", body["entity_type"])
    page.fill("#f-representative-name", body["representative"]["name"])
    page.fill("#f-representative-position", body["representative"]["position"])
    page.select_option("#f-representative-gender", body["representative"]["gender"])
    page.fill("#f-representative-ethnicity", body["representative"]["ethnicity"])
    with page.expect_navigation():  # unit_picker.js loads the districts
        page.select_option("#f-unit-province", "45")
    with page.expect_navigation():
        page.select_option("#f-unit-district", "461")
    page.select_option("#f-unit", body["unit"])
    page.fill("#f-address", body["address"])
    page.fill("#f-phone", "số điện thoại")
    page.fill("#f-email", body["email"])
    producer.submit("Lưu")
    # Refused beside the field; nothing typed is lost.
    assert page.locator("#f-phone-error").is_visible()
    assert page.input_value("#f-name") == body["name"]
    producer.shot("01-producer-form-error-phone")
    page.fill("#f-phone", body["phone"])
    producer.submit("Lưu")
    assert "Đã lưu thông tin chủ thể." in producer.flash()
    page.fill("#f-product_name", "Mật ong hoa cà phê Đông Hà")
    page.select_option("#f-product_set_code", SET_CODE)
    page.check("input[name=commitment]")
    producer.submit("Tạo hồ sơ")
    assert "Tự đánh giá (Mẫu 02)" in producer.text()
    producer.fill_sheet(answers_for(88, marks=4, sheet=sheet))
    # sheet.js has the server recompute the running score as options are chosen.
    expect(page.locator("[data-total]")).to_have_text("88")
    assert page.inner_text("[data-stars]") == "★★★★"
    producer.shot("02-self-assessment-running-score-phone")
    producer.submit("Lưu tự đánh giá")
    pdf = tmp_path / "giay-dang-ky-kinh-doanh.pdf"
    pdf.write_bytes(flows.PDF)
    page.select_option("#f-kind", "business_registration")
    page.set_input_files("#f-file", str(pdf))
    producer.submit("Tải lên")
    assert "giay-dang-ky-kinh-doanh.pdf" in producer.text()
    producer.submit("Nộp hồ sơ")
    assert "Đã nộp hồ sơ." in producer.flash()
    dossier_url = page.url.split("?")[0].split("#")[0].removeprefix(portal)
    dossier_id = dossier_url.rsplit("/", 1)[1]
    producer.shot("03-dossier-submitted-phone")

    # The commune officer takes it in from the intake queue, then writes Form 03.
    commune = person()
    commune.sign_in(officer.account["email"])
    assert "Hồ sơ chờ tiếp nhận" in commune.text()
    commune.shot("04-commune-intake-queue")
    commune.page.get_by_role("link", name="Mật ong hoa cà phê Đông Hà").first.click()
    commune.submit("Tiếp nhận hồ sơ")
    assert "Đã tiếp nhận hồ sơ." in commune.flash()

    def review_link() -> int:
        commune.go("/")
        return commune.page.locator(f'a[href="/cases/{dossier_id}/review"]').count()

    eventually(review_link, lambda n: n == 1)  # relay and worker carry it to evaluation
    commune.page.locator(f'a[href="/cases/{dossier_id}/review"]').click()
    for name in ("local_raw_materials", "local_labour", "idea_origin", "local_identity"):
        commune.page.fill(f"#f-local_criteria-{name}-assessment", "Đạt yêu cầu tại địa phương")
        commune.page.check(f'input[name="local_criteria.{name}.rating"][value="yes"]')
    commune.page.check('input[name="proposal"][value="propose"]')
    commune.shot("05-commune-review-form03")
    commune.submit("Gửi báo cáo")
    assert "Đã gửi báo cáo cấp xã." in commune.flash()

    # The district secretariat, in English, hands it to its council.
    office = person()
    office.sign_in(district_office.account["email"], lang="en")
    assert "Awaiting a council" in office.text()
    office.page.locator(f'a[href="/cases/{dossier_id}/assign"]').click()
    office.page.select_option("#f-council_id", d_council)
    office.shot("06-secretariat-assign-en")
    office.submit("Assign a council")
    assert "Case assigned to the council." in office.flash()
    # Its council's page: the seats, and the form to seat an official by account id.
    office.go(f"/councils/{d_council}")
    assert "Seat an official" in office.text() and "Chair" in office.text()
    office.shot("06b-secretariat-council-seats-en")

    council_scores(person, d_people, (78, 80, 82, 79), sheet, "district")
    at_province = officer("GET", f"/api/v1/cases/{dossier_id}").body
    assert (at_province["level"], at_province["stage"]) == ("province", "awaiting_assignment")

    # The province secretariat assigns; its council scores 4★; the chair sees it and closes.
    office = person()
    office.sign_in(province_office.account["email"])
    office.page.locator(f'a[href="/cases/{dossier_id}/assign"]').click()
    office.page.select_option("#f-council_id", p_council)
    office.submit("Giao hội đồng")
    council_scores(person, p_people, (84, 86, 85, 83), sheet, "province")

    # The province chair recognises 4★ with a decision number; the certificate is issued.
    authority = person()
    authority.sign_in(province_chair.account["email"])
    authority.page.locator(f'a[href="/cases/{dossier_id}/decide"]').click()
    authority.page.fill("#f-decision_number", "1234/QĐ-UBND")
    authority.shot("09-authority-decision")
    authority.submit("Công nhận 4 sao và cấp giấy chứng nhận")
    flash = authority.flash()
    number = re.search(r"OCOP-[0-9.]+-\d{4}-\d{5}", flash)
    assert number, flash
    number = number.group(0)
    authority.page.get_by_role("link", name="Thống kê").click()
    assert "Sản phẩm còn hiệu lực theo hạng sao" in authority.text()
    assert "Hồ sơ qua các cấp" in authority.text()
    assert authority.page.locator("figure.histogram svg[role=img]").count() >= 1
    authority.shot("09b-dashboard")
    xlsx = authority.page.request.get(f"{portal}/dashboard/export.xlsx")
    assert xlsx.ok and xlsx.body().startswith(b"PK")
    with authority.page.expect_download() as download:
        authority.page.locator('a[href="/dashboard/export/star_rank.csv"]').click()
    csv_text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == "star_rank,count"
    assert any(re.fullmatch(r"4,[1-9]\d*", line) for line in csv_text.splitlines())

    # The producer, on the phone, follows the timeline and opens the certificate.
    producer.go(dossier_url)
    assert number in producer.text()
    assert "Cấp giấy chứng nhận" in producer.text()
    producer.shot("10-dossier-recognised-timeline-phone")
    producer.page.get_by_role("link", name="Tải giấy chứng nhận", exact=True).click()
    heading = " ".join(producer.text().split())  # the heading keeps words with no-break spaces
    assert "GIẤY CHỨNG NHẬN" in heading and number in heading
    assert producer.page.inner_text(".stars-big") == "★★★★"
    producer.shot("11-certificate-phone")
    document = producer.page.request.get(f"{portal}/certificates/of/{dossier_id}.pdf")
    assert document.ok and document.body().startswith(b"%PDF-")
    assert f"/certificates/check?number={number}".encode() in document.body()

    # A consumer checks the number printed on the label, in English, without signing in.
    consumer = person(PHONE)
    consumer.go("/certificates/check?lang=en")
    consumer.page.focus("#f-number")  # by keyboard: type the number, press Enter
    consumer.page.keyboard.type(number)
    with consumer.page.expect_navigation():
        consumer.page.keyboard.press("Enter")
    assert f"Valid: {number}" in consumer.text()
    assert "Mật ong hoa cà phê Đông Hà" in consumer.text()
    consumer.shot("12-public-check-en-phone")
    for someone in (producer, commune, office, authority, consumer):
        someone.close()


def council_scores(
    person: Any, people: list[flows.Actor], totals: tuple[int, ...], sheet: Any, level: str
) -> None:
    """Four of the five declare no conflict and hand in their sheets on the evaluation page;
    the chair (the first) then reads quorum and spread and closes the scoring."""
    chair_page = None
    for index, (member, total) in enumerate(zip(people, totals, strict=False)):
        who = person()
        who.sign_in(member.account["email"])
        who.page.locator('a[href^="/evaluations/"]').first.click()
        who.page.check('input[name="conflicted"][value="no"]')
        who.submit("Gửi kê khai")
        assert "Đã ghi nhận kê khai." in who.flash()
        who.fill_sheet(answers_for(total, marks=4, sheet=sheet))
        who.submit("Tính điểm")
        assert who.page.inner_text("[data-total]") == str(total)
        if index == 1:
            who.shot(f"07-{level}-member-sheet")
        who.submit("Nộp phiếu chấm")
        assert "Đã lưu phiếu chấm." in who.flash()
        if index == 0:
            chair_page = who
        else:
            who.close()
    assert chair_page is not None
    chair_page.page.reload()
    assert "Đủ số lượng" in chair_page.page.inner_text("[data-quorum]")
    chair_page.shot(f"08-{level}-chair-quorum-spread")
    chair_page.submit("Kết thúc chấm điểm")
    assert "Đã kết thúc chấm điểm." in chair_page.flash()
    chair_page.close()
