"""A conditional criterion on the score sheet page (issue 20, point 1): 5.2 "only with a product
story" is shown as not applicable, its choices disabled, while 5.1 says there is no story (or
is not answered yet); it applies, and must be answered, once 5.1 names a story. Alternative
cases (set 26) carry their printed headings."""

from __future__ import annotations

import re

from services.portal import sheet_view
from tests.portal.conftest import Browser
from tests.portal.test_pages import _registration_call
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for

SET_CODE = "06"


def _fieldset(page: str, code: str) -> str:
    found = re.search(rf'<fieldset[^>]*id="c-{code.replace(".", "-")}".*?</fieldset>', page, re.S)
    assert found, f"no fieldset for {code}"
    return found.group(0)


def _dossier(browser: Browser, set_code: str) -> dict:
    browser.get("/register")
    email = f"portal-conditions-{set_code}-{id(browser)}@example.vn"
    browser.post(
        "/register",
        {"display_name": "Chủ thể thử", "email": email, "password": flows.DEMO_PASSWORD},
    )
    applicant = flows.login(_registration_call(browser), email)
    producer = flows.create_producer(applicant)
    return flows.create_dossier(applicant, producer["id"], set_code)


def test_a_criterion_that_does_not_apply_is_shown_so_and_counts_nothing(
    browser: Browser,
) -> None:
    dossier = _dossier(browser, SET_CODE)
    path = f"/dossiers/{dossier['id']}/assessment"
    sheet = sheet_view.sheet(SET_CODE)

    stored = _fieldset(browser.get(path), "5.2")  # the dossier's best answers: a story
    assert 'data-applies="yes"' in stored and " disabled" not in stored
    assert 'value="c" checked' in stored

    # No story, 5.2 ticked anyway: shown as not applicable, the tick dropped, 0 points.
    answers = {**answers_for(60, marks=3, c5_1="a"), "5.2": "c"}
    form = {f"answer.{code}": value for code, value in answers.items() if value}
    unanswered = {k: v for k, v in form.items() if k != "answer.5.1"}
    page = browser.post(path, {**unanswered, "version": dossier["version"], "action": "check"})
    blank = _fieldset(page, "5.2")
    assert 'data-applies="no"' in blank and "not-applicable" in blank
    assert "Chưa áp dụng: hãy chọn tiêu chí 5.1 trước." in blank
    assert blank.count(" disabled") == 3

    page = browser.post(path, {**form, "version": dossier["version"], "action": "check"})
    expected = sheet_view.running(sheet, answers).score
    assert expected is not None and expected.total == 60
    assert "<strong data-total>60</strong>" in page
    story = _fieldset(page, "5.2")
    assert 'data-applies="no"' in story and "Không áp dụng" in story
    assert "Với lựa chọn ở tiêu chí 5.1, tiêu chí này không áp dụng" in story
    assert "Chỉ áp dụng khi có câu chuyện sản phẩm (khi tiêu chí 5.1 chọn b, c, d, e)" in story
    assert " checked" not in story and story.count(" disabled") == 3

    # A story and no 5.2: it applies, is missing, and its choices are offered again.
    form["answer.5.1"] = "b"
    del form["answer.5.2"]
    page = browser.post(path, {**form, "version": dossier["version"], "action": "check"})
    story = _fieldset(page, "5.2")
    assert 'data-applies="yes"' in story and " disabled" not in story
    assert "Không áp dụng" not in story
    assert "Còn 1 tiêu chí chưa chọn." in page


def test_alternative_cases_carry_their_printed_headings(browser: Browser) -> None:
    dossier = _dossier(browser, "26")
    page = browser.get(f"/dossiers/{dossier['id']}/assessment")
    amenities = _fieldset(page, "15")
    assert "Lựa chọn một trong hai trường hợp sau:" in amenities
    first = amenities.index("Trường hợp 1: Dịch vụ du lịch do cộng đồng cung cấp")
    second = amenities.index("Trường hợp 2: Dịch vụ du lịch do tổ chức, cá nhân cung cấp")
    assert first < amenities.index('value="a"') < amenities.index('value="b"') < second
    assert second < amenities.index('value="c"') < amenities.index('value="d"')
