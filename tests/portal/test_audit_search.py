"""The auditor's case search: the registration list's filters as a form, results in reach,
a bad filter shown beside its field with the values kept."""

from __future__ import annotations

from tests.portal.conftest import Browser
from tests.portal.test_pages import _registration_call
from tests.support import flows
from tests.support.cases import accepted_dossier


def test_an_auditor_finds_cases_in_reach(browser: Browser) -> None:
    call = _registration_call(browser)
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    _, accepted = accepted_dossier(call, officer)
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    elsewhere = flows.create_official(admin, ["auditor"], "pre2025:province:01")

    browser.sign_in(auditor.account["email"])
    page = browser.get("/audit/?status=accepted&product_set_code=04&unit=pre2025:commune:19333")
    assert browser.status == 200
    assert accepted["product_name"] in page
    assert f'href="/audit/{accepted["id"]}"' in page
    assert '<option value="accepted" selected>' in page  # the filters are kept
    drafts = browser.get("/audit/?status=draft&unit=pre2025:commune:19333")
    assert f'href="/audit/{accepted["id"]}"' not in drafts

    other = Browser(browser.client.application.test_client())
    other.sign_in(elsewhere.account["email"])
    assert f'href="/audit/{accepted["id"]}"' not in other.get("/audit/?status=accepted")


def test_a_bad_filter_is_shown_beside_its_field(browser: Browser) -> None:
    call = _registration_call(browser)
    admin = flows.login(call, "admin@ocop.local")
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    browser.sign_in(auditor.account["email"])
    page = browser.get("/audit/?product_set_code=4x")
    assert browser.status == 200
    assert 'aria-invalid="true" aria-describedby="f-product_set_code-error"' in page


def test_only_auditors_search(browser: Browser) -> None:
    applicant = flows.register(_registration_call(browser), "applicant")
    browser.sign_in(applicant.account["email"])
    assert browser.client.get("/audit/").status_code == 403
