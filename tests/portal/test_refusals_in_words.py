"""A refused action reads in the reader's language: the catalogue's words for the API's code,
never the API's English on a Vietnamese page (ADR 0012)."""

from __future__ import annotations

import html

from services.portal.api_client import ApiError
from tests.portal.conftest import REGISTRATION, Browser
from tests.support import flows

SET_CODE = "06"
VI = "Không thể thực hiện «Rút hồ sơ» với hồ sơ ở trạng thái «Đã rút»."
EN = "“Withdraw” is not possible for a dossier in status “Withdrawn”."


def _withdrawn(browser: Browser) -> tuple[str, dict[str, str]]:
    """A dossier its applicant (signed in on ``browser``) filed and withdrew, and a withdrawal
    form of its current version."""
    browser.get("/register")
    email = f"portal-refusal-{id(browser)}@example.vn"
    browser.post(
        "/register",
        {"display_name": "Hộ kinh doanh", "email": email, "password": flows.DEMO_PASSWORD},
    )
    api = browser.client.application.extensions["portal_api"]
    call = flows.flask_transport(api.http.get_adapter(REGISTRATION).app.test_client())
    applicant = flows.login(call, email)
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"], SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit").body
    form = {"version": str(submitted["version"]), "confirm": "yes"}
    browser.get(f"/dossiers/{dossier['id']}")
    browser.post(f"/dossiers/{dossier['id']}/withdraw", form)
    assert "Đã rút hồ sơ." in browser.html
    now = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body
    return dossier["id"], {**form, "version": str(now["version"])}


def test_a_refusal_reads_in_the_readers_language(browser: Browser) -> None:
    dossier_id, form = _withdrawn(browser)

    # Withdrawn already: refused (409 dossier.action_not_allowed), said in Vietnamese.
    browser.get(f"/dossiers/{dossier_id}")
    page = html.unescape(browser.post(f"/dossiers/{dossier_id}/withdraw", form))
    assert VI in page
    assert EN not in page and "is not possible" not in page

    # The same refusal on the English page, in English.
    browser.get(f"/dossiers/{dossier_id}?lang=en")
    page = html.unescape(browser.post(f"/dossiers/{dossier_id}/withdraw", form))
    assert EN in page and VI not in page


def test_a_code_the_catalogue_lacks_reads_as_the_general_message() -> None:
    # A service older or newer than the portal: its English never reaches a Vietnamese page.
    older = ApiError(409, {"status": 409, "detail": "A withdrawn dossier cannot be withdrawn."})
    newer = ApiError(409, {"status": 409, "detail": "Nope.", "code": "dossier.newer_rule"})
    for error in (older, newer):
        words = error.words("vi")
        assert words.startswith("Yêu cầu không thực hiện được") and "withdrawn" not in words
        assert error.words("en").startswith("The request could not be carried out")
    # A field without a code reads as the general field message.
    odd = ApiError(422, {"status": 422, "errors": {"name": ["Too odd."]}})
    assert odd.field_words("vi") == {"name": "Giá trị không hợp lệ."}
