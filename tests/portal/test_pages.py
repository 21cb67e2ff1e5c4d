"""The portal's pages against the real services: sign-in and its cookie, CSRF, errors beside
the field with values kept, and a case from filing to a revoked certificate, role by role."""

from __future__ import annotations

import html
import re
from typing import Any

from services.portal import sheet_view
from tests.portal.conftest import REGISTRATION, Browser
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver
from tests.unit.evaluation.sheets import answers_for

SET_CODE = "06"


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _link(page: str, pattern: str) -> str:
    found = re.search(rf'href="({pattern})"', page)
    assert found, f"no link like {pattern}"
    return html.unescape(found.group(1))


def test_a_wrong_password_is_shown_beside_the_field_and_the_email_kept(browser: Browser) -> None:
    page = browser.sign_in("admin@ocop.local", "not-the-password")
    assert browser.status == 200
    assert 'aria-invalid="true" aria-describedby="f-password-error"' in page
    assert "Email hoặc mật khẩu không đúng." in page
    assert 'value="admin@ocop.local"' in page
    assert "not-the-password" not in page


def test_the_session_cookie_is_httponly_samesite_and_secure(portal_app: Any) -> None:
    client = portal_app.test_client()
    browser = Browser(client)
    browser.get("/signin")
    resp = client.post(
        "/signin",
        data={
            "csrf_token": browser.csrf(),
            "email": "admin@ocop.local",
            "password": flows.DEMO_PASSWORD,
        },
    )
    assert resp.status_code == 302
    cookie = next(h for h in resp.headers.getlist("Set-Cookie") if h.startswith("ocop_portal="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "Quản trị hệ thống" in client.get("/").get_data(as_text=True)


def test_a_form_without_its_csrf_token_changes_nothing(browser: Browser) -> None:
    browser.sign_in("admin@ocop.local")
    resp = browser.client.post("/signout", data={})
    assert resp.status_code == 400
    assert "Quản trị hệ thống" in browser.get("/")  # still signed in


def test_pages_need_a_sign_in_and_come_back_after_it(browser: Browser) -> None:
    page = browser.get("/dossiers/new")
    assert "/signin?next=" in page or "Đăng nhập" in page
    resp = browser.client.get("/dossiers/new")
    assert resp.status_code == 302 and "/signin?next=/dossiers/new" in resp.headers["Location"]
    resp = browser.client.get("/signin?next=https://evil.example/")
    assert resp.status_code == 200


def test_english_is_one_click_away_and_stays(browser: Browser) -> None:
    assert "Tra cứu giấy chứng nhận OCOP" in browser.get("/certificates/check")
    assert "Check an OCOP certificate" in browser.get("/certificates/check?lang=en")
    assert 'lang="en"' in browser.get("/")
    page = browser.get("/certificates/check?number=OCOP-00-0000-99999")
    assert "No certificate numbered OCOP-00-0000-99999." in page


def test_a_signed_in_person_gets_their_accounts_language(new_browser) -> None:
    first = new_browser()
    applicant = flows.register(_registration_call(first), "applicant")
    assert applicant("PATCH", "/api/v1/accounts/me", json={"language": "en"}).status == 200
    first.sign_in(applicant.account["email"])
    assert 'lang="en"' in first.get("/")
    # A language chosen before signing in wins over the account's.
    second = new_browser()
    second.get("/signin?lang=vi")
    second.sign_in(applicant.account["email"])
    assert 'lang="vi"' in second.get("/")


def test_the_running_score_is_computed_on_the_actual_sheet(browser: Browser) -> None:
    browser.get("/register")
    email = f"portal-sheet-{id(browser)}@example.vn"
    browser.post(
        "/register",
        {"display_name": "Chủ thể thử", "email": email, "password": flows.DEMO_PASSWORD},
    )
    applicant = flows.login(_registration_call(browser), email)
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"], SET_CODE)
    answers = answers_for(72, marks=3)
    sheet = sheet_view.sheet(SET_CODE)
    expected = sheet_view.running(sheet, answers).score
    assert expected is not None and expected.total == 72
    page = browser.get(f"/dossiers/{dossier['id']}/assessment")
    assert 'name="answer.1.1"' in page
    form = {f"answer.{code}": value for code, value in answers.items() if value}
    page = browser.post(
        f"/dossiers/{dossier['id']}/assessment",
        {**form, "version": dossier["version"], "action": "check"},
    )
    assert "<strong data-total>72</strong>" in page
    assert f"<strong data-stars>{'★' * expected.star_rank}</strong>" in page
    holding = expected.holding_back
    assert holding and f'href="#c-{holding[0].replace(".", "-")}"' in page
    # Checking saves nothing; saving does.
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["self_assessment"] != {
        k: v for k, v in answers.items() if v
    }
    browser.post(
        f"/dossiers/{dossier['id']}/assessment",
        {**form, "version": dossier["version"], "action": "save"},
    )
    assert "Đã lưu tự đánh giá." in browser.html
    saved = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["self_assessment"]
    assert saved == {k: v for k, v in answers.items() if v}


def _registration_call(browser: Browser) -> flows.Transport:
    """The registration API the portal talks to, for checks behind the pages."""
    api = browser.client.application.extensions["portal_api"]
    return flows.flask_transport(api.http.get_adapter(REGISTRATION).app.test_client())


def test_a_case_from_filing_to_a_revoked_certificate(
    new_browser: Any,
    officials: dict[str, flows.Actor],
    admin: flows.Actor,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
) -> None:
    applicant, officer, office = (new_browser() for _ in range(3))

    # The applicant registers, fills the producer form (a bad phone first), files Form 01.
    applicant.get("/register")
    email = f"portal-flow-{id(applicant)}@example.vn"
    applicant.post(
        "/register", {"display_name": "HTX Đông Hà", "email": email, "password": "short"}
    )
    assert 'aria-describedby="f-password-error"' in applicant.html
    assert f'value="{email}"' in applicant.html
    applicant.post(
        "/register",
        {"display_name": "HTX Đông Hà", "email": email, "password": flows.DEMO_PASSWORD},
    )
    assert "Đã tạo tài khoản." in applicant.html
    applicant.get("/dossiers/new")  # no producer yet: the producer form first
    body = flows.producer_body()
    values = {
        "name": body["name"],
        "entity_type": body["entity_type"],
        **{f"representative.{k}": v for k, v in body["representative"].items()},
        "unit": body["unit"],
        "address": body["address"],
        "phone": "not a phone",
        "email": body["email"],
    }
    # Without JavaScript the unit lists load by sending the form back; nothing is saved.
    page = applicant.post("/producers/new", {**values, "unit.province": "45", "action": "units"})
    assert '<option value="461">' in page and "Đã lưu" not in page
    page = applicant.post(
        "/producers/new",
        {**values, "unit.province": "45", "unit.district": "461", "action": "units"},
    )
    assert f'<option value="{body["unit"]}"' in page
    assert f'value="{body["name"]}"' in page
    values.update({"unit.province": "45", "unit.district": "461"})
    page = applicant.post("/producers/new", values)
    assert '<p class="error" id="f-phone-error">Giá trị không đúng định dạng.</p>' in page
    assert 'href="#f-phone">Điện thoại: Giá trị không đúng định dạng.' in page  # the summary
    assert f'<option value="{body["unit"]}" selected>' in page  # the choice is kept
    assert f'value="{body["name"]}"' in page  # nothing typed is lost
    applicant.post("/producers/new", {**values, "phone": body["phone"]})
    assert "Đã lưu thông tin chủ thể." in applicant.html
    page = applicant.post(
        "/dossiers/new",
        {
            "producer_id": re.search(r'<option value="([0-9a-f-]{36})"', applicant.html).group(1),
            "product_name": "Gạo lứt Triệu Phong",
            "product_set_code": SET_CODE,
            "registration_type": "first",
            "samples_count": "5",
            "commitment": "yes",
        },
    )
    assert "Đã tạo hồ sơ." in page
    dossier_id = re.search(r"/dossiers/([0-9a-f-]{36})/assessment", page).group(1)
    answers = {f"answer.{k}": v for k, v in answers_for(80, marks=3).items() if v}
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    applicant.post(
        f"/dossiers/{dossier_id}/assessment", {**answers, "version": version, "action": "save"}
    )
    applicant.post(
        f"/dossiers/{dossier_id}/documents",
        {"kind": "business_registration", "file": (_pdf(), "giay-phep.pdf")},
        content_type="multipart/form-data",
    )
    assert "Đã tải lên tài liệu." in applicant.html
    assert "giay-phep.pdf" in applicant.html
    version = re.search(r'name="version" value="(\d+)"', applicant.html).group(1)
    applicant.post(f"/dossiers/{dossier_id}/submit", {"version": version})
    assert "Đã nộp hồ sơ." in applicant.html

    # The commune officer sees it in the intake queue with its due date and returns it.
    officer.sign_in(officials["officer"].account["email"])
    assert "Gạo lứt Triệu Phong" in officer.html and "Hồ sơ chờ tiếp nhận" in officer.html
    officer.get(f"/dossiers/{dossier_id}/return")
    officer.post(f"/dossiers/{dossier_id}/return", {"reason": "Thiếu"})
    assert "Chọn ít nhất một mục cần bổ sung." in officer.html  # nothing ticked
    assert "Thiếu" in officer.html  # the reason typed is kept
    officer.post(
        f"/dossiers/{dossier_id}/return",
        {"missing": "test_report", "note.test_report": "Phiếu kiểm nghiệm còn hạn"},
    )
    assert "Đã trả hồ sơ để bổ sung." in officer.html

    # The applicant sees what is missing, adds it, resubmits; the officer accepts.
    page = applicant.get(f"/dossiers/{dossier_id}")
    assert "Phiếu kiểm nghiệm còn hạn" in page
    applicant.post(
        f"/dossiers/{dossier_id}/documents",
        {"kind": "test_report", "file": (_pdf(), "kiem-nghiem.pdf")},
        content_type="multipart/form-data",
    )
    version = re.search(r'name="version" value="(\d+)"', applicant.html).group(1)
    applicant.post(f"/dossiers/{dossier_id}/resubmit", {"version": version})
    assert "Đã nộp lại hồ sơ." in applicant.html
    officer.get(f"/dossiers/{dossier_id}")
    version = re.search(r'name="version" value="(\d+)"', officer.html).group(1)
    officer.post(f"/dossiers/{dossier_id}/accept", {"version": version})
    assert "Đã tiếp nhận hồ sơ." in officer.html
    assert deliver(registration, evaluation, dossier_id) == 3

    # Form 03: a missing rating is shown beside its field, the assessments typed are kept.
    officer.get(f"/cases/{dossier_id}/review")
    review = {
        f"local_criteria.{name}.assessment": f"Nhận xét {name}"
        for name in ("local_raw_materials", "local_labour", "idea_origin", "local_identity")
    }
    ratings = {
        f"local_criteria.{name}.rating": "yes"
        for name in ("local_raw_materials", "local_labour", "idea_origin", "local_identity")
    }
    page = officer.post(f"/cases/{dossier_id}/review", {**review, "proposal": "propose"})
    assert 'id="f-local_criteria-local_labour-rating-error"' in page
    assert "Nhận xét local_labour" in page
    officer.post(f"/cases/{dossier_id}/review", {**review, **ratings, "proposal": "propose"})
    assert "Đã gửi báo cáo cấp xã." in officer.html

    # The district secretariat assigns it to a council seated for the test.
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )
    office.sign_in(officials["secretariat"].account["email"])
    office.get(_link(office.html, f"/cases/{dossier_id}/assign"))
    office.post(f"/cases/{dossier_id}/assign", {"council_id": council.id, "round_id": ""})
    assert "Đã giao hồ sơ cho hội đồng." in office.html

    # Three of four score a 3★ result; the chair sees quorum and spread, and closes.
    scorers = [council.chair, council.secretary, council.members[0]]
    for person, total in zip(scorers, (62, 64, 66), strict=True):
        member = new_browser()
        member.sign_in(person.account["email"])
        member.get(_link(member.html, "/evaluations/[0-9a-f-]{36}"))
        evaluation_path = re.search(r'action="(/evaluations/[0-9a-f-]{36})/conflict"', member.html)
        assert evaluation_path, "a conflict declaration comes first"
        member.post(f"{evaluation_path.group(1)}/conflict", {"conflicted": "no"})
        assert "giay-phep.pdf" in member.html  # the dossier is readable after declaring
        sheet = {f"answer.{k}": v for k, v in answers_for(total, marks=3).items() if v}
        member.post(f"{evaluation_path.group(1)}/sheet", {**sheet, "action": "save"})
        assert "Đã lưu phiếu chấm." in member.html, _text(member.html)[:600]
        if person is council.chair:
            chair, evaluation_url = member, evaluation_path.group(1)
    page = chair.get(evaluation_url)
    assert "Đủ số lượng" in page and "Độ chênh 4.0 (tối đa 10.0)" in page
    chair.post(f"{evaluation_url}/finalise", {"version": _version(chair.html)})
    assert "Đã kết thúc chấm điểm." in chair.html
    assert "64.0" in chair.html  # the council's mean
    minutes = chair.get(_link(chair.html, f"{evaluation_url}/minutes"))
    assert "Biên bản họp hội đồng" in minutes
    assert "<strong data-mean>64.0</strong>" in minutes
    assert minutes.count("— Thành viên</li>") == 2 and minutes.count("— Chủ tịch</li>") == 1
    # The minutes as a PDF document, in the page's language.
    document = chair.client.get(_link(minutes, f"{evaluation_url}/minutes.pdf"))
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert document.data.startswith(b"%PDF-") and b"DejaVuSans" in document.data
    assert _pdf_title(document.data) == "Biên bản họp hội đồng đánh giá, phân hạng sản phẩm OCOP"
    assert applicant.client.get(f"{evaluation_url}/minutes.pdf").status_code == 403

    # The district authority recognises 3★; the certificate is issued.
    authority = new_browser()
    authority.sign_in(officials["authority"].account["email"])
    authority.get(_link(authority.html, f"/cases/{dossier_id}/decide"))
    authority.post(
        f"/cases/{dossier_id}/decide", {"decision_number": "", "decided_on": "2026-01-01"}
    )
    assert 'id="f-decision_number-error"' in authority.html
    assert 'value="2026-01-01"' in authority.html
    authority.post(
        f"/cases/{dossier_id}/decide",
        {"decision_number": "77/QĐ-UBND", "decided_on": _today()},
    )
    number = re.search(r"(OCOP-[0-9A-Z.-]+\d)", _text(authority.html)).group(1)

    # The applicant follows it on the timeline and downloads the certificate.
    page = applicant.get(f"/dossiers/{dossier_id}")
    assert number in page and "Cấp giấy chứng nhận" in page
    printable = applicant.get(f"/certificates/of/{dossier_id}")
    assert number in printable and "77/QĐ-UBND" in printable
    assert f"/certificates/check?number={number}" in printable
    qr = re.search(r"<figure class=\"qr\" data-qr>(<svg.*?</svg>)", printable, re.S)
    assert qr and number in qr.group(1)  # in its title; the code itself encodes the link
    # The PDF certificate: its QR code (and the line under it) link to the public check.
    document = applicant.client.get(_link(printable, f"/certificates/of/{dossier_id}.pdf"))
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    assert _pdf_title(document.data) == f"Giấy chứng nhận sản phẩm OCOP {number}"
    uris = set(re.findall(rb"/URI \(([^)]*)\)", document.data))
    portal_url = applicant.client.application.extensions["portal_settings"].public_url
    assert uris == {f"{portal_url}/certificates/check?number={number}".encode()}
    assert new_browser().client.get(f"/certificates/of/{dossier_id}.pdf").status_code == 302

    # Anyone can check it; the authority revokes it on a ground; the check says so.
    public = new_browser()
    assert "Còn hiệu lực" in public.get(f"/certificates/check?number={number}")
    authority.get(f"/certificates/{number}/revoke")
    authority.post(
        f"/certificates/{number}/revoke",
        {"ground": "production_stopped", "found_on": _today(), "note": "Ngừng sản xuất"},
    )
    assert "Đã thu hồi" in authority.html
    assert "Đã thu hồi" in public.get(f"/certificates/check?number={number}&lang=vi")

    # The programme dashboard counts the case; each table exports as CSV.
    page = authority.get("/dashboard/")
    assert "Hồ sơ theo cấp và bước" in page and "Đã công nhận" in page
    csv = authority.client.get("/dashboard/export/level_stage.csv")
    assert csv.status_code == 200 and csv.mimetype == "text/csv"
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0] == "level,stage,count"
    assert any(line.startswith("district,recognised,") for line in lines)
    assert authority.client.get("/dashboard/export/secrets.csv").status_code == 404
    assert applicant.client.get("/dashboard/").status_code == 403

    # The province auditor reads the case file with its verification badge and exports it.
    auditor = new_browser()
    auditor.sign_in("thanhtra@ocop.local")
    page = auditor.get(f"/audit/{dossier_id}")
    assert auditor.status == 200
    # The badge shows what the verification found (the ledger is another suite's subject).
    assert "data-verification" in page and "Đã kiểm tra:" in page
    # The auditor's own read is on the record, in words.
    assert "<td>Thanh tra đọc hồ sơ</td>" in page and "case_file.read" not in page
    archive = auditor.client.get(f"/audit/{dossier_id}/export")
    assert archive.status_code == 200 and archive.mimetype == "application/zip"
    assert applicant.client.get(f"/audit/{dossier_id}").status_code == 403


def _pdf_title(data: bytes) -> str:
    """The document title fpdf2 writes in the info dictionary (UTF-16 in hex)."""
    found = re.search(rb"/Title <feff([0-9a-f]+)>", data)
    assert found, "no title"
    return bytes.fromhex(found.group(1).decode()).decode("utf-16-be")


def _version(page: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', page)
    assert found
    return found.group(1)


def _today() -> str:
    from services.portal.views.common import today

    return today()


def _pdf() -> Any:
    from io import BytesIO

    return BytesIO(flows.PDF)


def test_an_expired_token_sends_the_person_to_sign_in_again(browser: Browser) -> None:
    browser.sign_in("admin@ocop.local")
    with browser.client.session_transaction() as session:
        session["token"] = "not-a-valid-token"
    resp = browser.client.get("/dashboard/")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/signin?next=/dashboard/")
    page = browser.get("/signin")
    assert "Phiên làm việc đã hết hạn" in page


def test_an_applicant_may_withdraw_a_filed_dossier(browser: Browser) -> None:
    browser.get("/register")
    email = f"portal-withdraw-{id(browser)}@example.vn"
    browser.post(
        "/register",
        {"display_name": "Hộ kinh doanh", "email": email, "password": flows.DEMO_PASSWORD},
    )
    applicant = flows.login(_registration_call(browser), email)
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"], SET_CODE)
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit").body
    page = browser.get(f"/dossiers/{dossier['id']}")
    assert "Rút hồ sơ" in page
    confirmed = {"version": submitted["version"], "confirm": "yes"}
    browser.post(f"/dossiers/{dossier['id']}/withdraw", confirmed)
    assert "Đã rút hồ sơ." in browser.html
    after = applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body
    assert after["status"] == "withdrawn"
    # The same form sent again (a stale version) is refused, saying why in the reader's words.
    browser.get(f"/dossiers/{dossier['id']}")
    browser.post(f"/dossiers/{dossier['id']}/withdraw", confirmed)
    assert "Hồ sơ vừa được thay đổi" in browser.html
    assert applicant("GET", f"/api/v1/dossiers/{dossier['id']}").body["version"] == after["version"]


def test_readiness_tells_no_stranger_where_the_apis_live(portal_app: Any, tmp_path) -> None:
    from dataclasses import replace

    from services.portal.app import create_app
    from shared import config
    from tests.e2e.stack import free_port

    assert portal_app.test_client().get("/readyz").status_code == 200
    closed = f"http://127.0.0.1:{free_port()}"
    settings = replace(config.load_portal(), data_dir=tmp_path, registration_url=closed)
    resp = create_app(settings).test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json() == {"status": "unavailable"}
