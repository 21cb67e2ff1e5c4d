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


def test_an_auditor_picks_the_unit_by_name(browser: Browser) -> None:
    """Province, then district, then commune, chosen from lists of names (no codes to type):
    the search is within the deepest unit chosen; a commune of an earlier district no longer
    counts once another district is chosen."""
    call = _registration_call(browser)
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    _, accepted = accepted_dossier(call, officer)
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    browser.sign_in(auditor.account["email"])
    link = f'href="/audit/{accepted["id"]}"'

    page = browser.get("/audit/?unit.province=45&unit.district=461")
    assert browser.status == 200
    assert link in page
    assert 'name="unit.district"' in page and 'name="unit"' in page  # the communes to choose
    assert "pre2025:district:461" not in page
    assert link in browser.get(f"/audit/?unit.province=45&unit.district=461&unit={flows.COMMUNE}")
    other = f"/audit/?unit.province=45&unit.district=461&unit={flows.OTHER_COMMUNE}"
    assert link not in browser.get(other)
    elsewhere = browser.get(f"/audit/?unit.province=45&unit.district=462&unit={flows.COMMUNE}")
    assert link not in elsewhere  # another district, its commune list without 19333
