"""The public check tells what became of a certificate (revoked: when and on what ground, in
words; superseded: by which), the language switch keeps the number checked, the timeline runs
in order of time, and withdrawing a dossier or removing a council member asks for a
confirmation the server insists on (issue 15, points 4 and 7)."""

from __future__ import annotations

import html
import re
from datetime import date
from typing import Any

from services.portal.app import local_day, local_time
from services.portal.timeline import timeline
from tests.integration.evaluation.test_certificates import revoke
from tests.integration.evaluation.test_decided_and_upgrades import accepted, certify
from tests.integration.evaluation.test_decisions import (
    awaiting_decision,
    days_ago,
    decide,
    sign_in_people,
)
from tests.portal.conftest import Browser
from tests.portal.test_pages import SET_CODE, _registration_call
from tests.portal.test_superseded_certificate import superseded
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import accepted_dossier, deliver, deliver_accounts

HUONG_HOA = "pre2025:district:465"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _people(call: Any, admin: Any, eval_call: Any, commune_officer: Any) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


# --- the public check -----------------------------------------------------------------------


def test_a_revoked_certificate_shows_the_day_and_the_ground_in_words(
    new_browser: Any,
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    commune_officer: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> None:
    people = _people(call, admin, eval_call, commune_officer)
    cert = certify(registration, evaluation, commune_officer, people)
    number = cert["number"]
    reply = revoke(people["district_authority"], number, ground="breach_of_law", note="Riêng")
    assert reply.status == 201, reply.body
    revoked_on = reply.body["revoked_on"]

    # The public answer carries the day and the ground, not the note.
    public = eval_call("GET", f"/api/v1/certificates/{number}")
    assert public.status == 200
    assert public.body["status"] == "revoked"
    assert public.body["revoked_on"] == revoked_on
    assert public.body["revocation_ground"] == "breach_of_law"
    assert "revocation_note" not in public.body and "dossier_id" not in public.body

    consumer = new_browser()
    page = consumer.get(f"/certificates/check?number={number}")
    assert consumer.status == 200
    text = _text(page)
    assert "Đã thu hồi" in text and "Ngày thu hồi" in text
    assert f'<time datetime="{revoked_on}">' in page
    assert "Căn cứ thu hồi" in text
    assert "Vi phạm pháp luật về chất lượng, an toàn thực phẩm, môi trường" in text
    day = date.fromisoformat(revoked_on)
    assert f"{day:%d/%m/%Y}</time>" in page  # the day as people in Vietnam write it
    assert "breach_of_law" not in text and "Riêng" not in text

    english = _text(consumer.get(f"/certificates/check?number={number}&lang=en"))
    assert "Revoked on" in english and "Ground for revocation" in english
    assert "A breach of quality, food-safety, environment, intellectual-property" in english
    assert f"{day.day} {day:%b %Y}" in english
    assert "breach_of_law" not in english

    # A valid certificate shows neither.
    valid = certify(registration, evaluation, commune_officer, people)
    fresh = _text(new_browser().get(f"/certificates/check?number={valid['number']}"))
    assert "Còn hiệu lực" in fresh and "Ngày thu hồi" not in fresh and "thay thế" not in fresh


def test_a_superseded_certificate_names_its_replacement(
    new_browser: Any,
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    commune_officer: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> None:
    people = _people(call, admin, eval_call, commune_officer)
    old, _, new = superseded(registration, evaluation, commune_officer, people)

    assert eval_call("GET", f"/api/v1/certificates/{old['number']}").body["superseded_by"] == new

    consumer = new_browser()
    page = consumer.get(f"/certificates/check?number={old['number']}")
    assert "Đã được thay thế" in page
    assert "Được thay thế bởi giấy chứng nhận" in page
    assert f'href="/certificates/check?number={new}"' in page  # one click to check it
    english = consumer.get(f"/certificates/check?number={old['number']}&lang=en")
    assert "Superseded by certificate" in english and f">{new}</a>" in english
    # The replacement itself is valid and superseded by nothing.
    successor = consumer.get(f"/certificates/check?number={new}&lang=vi")
    assert "Còn hiệu lực" in successor and "data-superseded-by" not in successor


def test_switching_language_on_a_check_result_keeps_the_number(browser: Browser) -> None:
    number = "OCOP-00-0000-99999"
    page = browser.get(f"/certificates/check?number={number}")
    assert "Không tìm thấy giấy chứng nhận số" in page
    switch = re.search(r'<a href="([^"]+)" hreflang="en"', page)
    assert switch is not None
    target = html.unescape(switch.group(1))
    assert target == f"/certificates/check?number={number}&lang=en"
    english = browser.get(target)
    assert f"No certificate numbered {number}." in english
    assert f'value="{number}"' in english
    back = re.search(r'<a href="([^"]+)" hreflang="vi"', english)
    assert back is not None
    assert html.unescape(back.group(1)) == f"/certificates/check?number={number}&lang=vi"


# --- the timeline ---------------------------------------------------------------------------


def test_the_timeline_sorts_dates_and_timestamps_by_time() -> None:
    dossier = {
        "created_at": "2026-12-01T02:00:00+00:00",
        "submitted_at": "2026-12-01T09:30:00",  # SQLite: no offset, UTC
        "accepted_at": "2026-12-05T18:00:00Z",  # 01:00 on 6 December in Vietnam
    }
    case = {
        "evaluations": [
            {
                "level": "district",
                "opened_at": "2026-12-02T03:00:00+00:00",
                "closed_at": "2026-12-06T08:00:00+00:00",  # 15:00 in Vietnam
                "outcome": "recognised",
                "star_rank": 3,
            }
        ]
    }
    certificates = [
        {"issued_on": "2026-12-06", "number": "OCOP-1", "star_rank": 3, "revoked_on": "2026-12-06"}
    ]
    keys = [e["key"] for e in timeline(dossier, case, certificates)]
    assert keys == [
        "timeline.created",
        "timeline.submitted",
        "timeline.opened",
        "timeline.accepted",
        "timeline.outcome.recognised",
        "timeline.certificate",
        "timeline.revoked",
    ]


def test_a_same_day_certificate_comes_after_the_councils_close_on_the_page(
    new_browser: Any,
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    commune_officer: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> None:
    people = _people(call, admin, eval_call, commune_officer)
    dossier = accepted(registration, evaluation, commune_officer, people)
    version = awaiting_decision(
        evaluation, dossier["id"], star_rank=3, level="district", closed_on=days_ago(0)
    )
    reply = decide(people["district_authority"], dossier["id"], version, days_ago(0))
    assert reply.status == 201, reply.body
    deliver(evaluation, registration, dossier["id"])
    number = reply.body["certificate"]["number"]

    browser = new_browser()
    browser.sign_in(people["registration_applicant"].account["email"])
    page = browser.get(f"/dossiers/{dossier['id']}")
    found = re.search(r'<ol class="timeline">(.*?)</ol>', page, re.S)
    assert found is not None
    entries = [_text(li) for li in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]
    (accepted_,) = [i for i, e in enumerate(entries) if "Xã tiếp nhận hồ sơ" in e]
    (certificate,) = [i for i, e in enumerate(entries) if number in e]
    (close,) = [i for i, e in enumerate(entries) if "3 sao, đề nghị công nhận" in e]
    assert accepted_ < certificate, entries
    # Issued on the day of the close: after it, and last (nothing later happened).
    assert close < certificate == len(entries) - 1, entries


# --- confirmations --------------------------------------------------------------------------


def test_withdrawing_a_dossier_needs_the_confirmation(browser: Browser) -> None:
    browser.get("/register")
    email = f"portal-confirm-withdraw-{id(browser)}@example.vn"
    browser.post(
        "/register",
        {"display_name": "Hộ kinh doanh", "email": email, "password": flows.DEMO_PASSWORD},
    )
    applicant = flows.login(_registration_call(browser), email)
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"], SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit").body
    page = browser.get(f"/dossiers/{dossier['id']}")
    form = re.search(r"<form[^>]*data-withdraw>(.*?)</form>", page, re.S)
    assert form is not None
    assert re.search(r'<input type="checkbox" name="confirm" value="yes" required>', form.group(1))
    assert "Tôi xác nhận rút hồ sơ này" in form.group(1)

    # Sent without the box ticked (a browser ignoring `required`): refused, nothing changes.
    browser.post(f"/dossiers/{dossier['id']}/withdraw", {"version": submitted["version"]})
    assert "Hãy đánh dấu ô xác nhận trước khi rút hồ sơ." in browser.html
    after = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert after["status"] == "submitted" and after["version"] == submitted["version"]
    browser.post(
        f"/dossiers/{dossier['id']}/withdraw",
        {"version": submitted["version"], "confirm": "no"},
    )
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["status"] == "submitted"

    english = browser.get(f"/dossiers/{dossier['id']}?lang=en")
    assert "I confirm withdrawing this dossier" in english
    browser.post(f"/dossiers/{dossier['id']}/withdraw", {"version": submitted["version"]})
    assert "Tick the confirmation before withdrawing the dossier." in browser.html

    browser.post(
        f"/dossiers/{dossier['id']}/withdraw",
        {"version": submitted["version"], "confirm": "yes"},
    )
    assert "Dossier withdrawn." in browser.html
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["status"] == "withdrawn"


def test_removing_a_council_member_needs_the_confirmation(
    browser: Browser,
    admin: flows.Actor,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
) -> None:
    office = kit.official(admin, eval_call, ["secretariat"], HUONG_HOA)
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=HUONG_HOA, members=1
    )
    deliver_accounts(registration, evaluation)
    member = council.members[0].account["id"]
    path = f"/councils/{council.id}"

    def seated() -> set[str]:
        return {s["account_id"] for s in office("GET", f"/api/v1{path}").body["members"]}

    browser.sign_in(office.account["email"])
    page = browser.get(path)
    assert browser.status == 200
    assert page.count("data-unseat") == 3  # chair, secretary, member
    assert "Xác nhận rút khỏi hội đồng" in page

    remove = f"{path}/members/{member}/remove"
    browser.post(remove)
    assert "Hãy đánh dấu ô xác nhận trước khi rút thành viên khỏi hội đồng." in browser.html
    assert member in seated()

    browser.post(remove, {"confirm": "yes"})
    assert "Đã rút" in browser.html
    assert member not in seated() and len(seated()) == 2


# --- the auditor's case file ----------------------------------------------------------------


def test_the_case_file_shows_the_time_in_vietnam_with_the_day(browser: Browser) -> None:
    assert local_time("2026-12-06T17:30:00+00:00") == f"{local_day('2026-12-07')} 00:30"
    assert local_time("2026-12-06T02:05:00") == f"{local_day('2026-12-06')} 09:05"  # UTC
    assert local_time(None) == "—"

    call = _registration_call(browser)
    admin = flows.login(call, "admin@ocop.local")
    officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    _, dossier = accepted_dossier(call, officer)
    auditor = flows.create_official(admin, ["auditor"], "pre2025:province:45")
    browser.sign_in(auditor.account["email"])
    page = browser.get(f"/audit/{dossier['id']}")
    assert browser.status == 200
    moments = re.findall(r'<time datetime="([^"]+)">([^<]+)</time>', page)
    assert moments
    for at, shown in moments:
        assert shown == local_time(at) and re.search(r" \d\d:\d\d$", shown), shown
