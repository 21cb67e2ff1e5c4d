"""The certificate, the recognition decision, the commune report (Form 03) and the council
minutes as Vietnamese administrative documents (Decree 30/2020/NĐ-CP), in both regimes and
both languages (issue 15.3): rendered by the portal against the real services, read back with
``pdftotext -layout``. The check link and QR code use the configured public URL whatever Host
the request names."""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from services.evaluation.models import Case, CommuneReview
from services.portal import pdf
from shared.catalogue.dates import formal_day
from tests.integration.evaluation.test_decided_and_upgrades import accepted, certify
from tests.integration.evaluation.test_decisions import (
    awaiting_decision,
    days_ago,
    decide,
    on_evaluation,
    sign_in_people,
)
from tests.support import flows
from tests.support.cases import deliver_accounts

PUBLIC = "https://ocop.example.gov.vn"
EVIL = "evil.example"
CRITERIA = ("local_raw_materials", "local_labour", "idea_origin", "local_identity")
TWO_TIER_PROVINCE = "2025:province:44"  # Quảng Trị of the 2025 tree
TWO_TIER_WARD = "18859"  # Phường Đồng Thuận, Quảng Trị


@pytest.fixture()
def public_portal(portal_app: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The portal with a public URL of its own, so that no default can pass for it."""
    settings = portal_app.extensions["portal_settings"]
    monkeypatch.setitem(
        portal_app.extensions, "portal_settings", replace(settings, public_url=PUBLIC)
    )
    return portal_app


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


def text_of(data: bytes, tmp_path: Path) -> list[str]:
    """The PDF's lines as ``pdftotext -layout`` reads them, runs of spaces collapsed (the
    left and right columns of a heading stay on one line, two spaces or more apart)."""
    assert data.startswith(b"%PDF-")
    path = tmp_path / f"{uuid.uuid4().hex}.pdf"
    path.write_bytes(data)
    out = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True
    ).stdout.decode()
    return [re.sub(r" {2,}", " | ", line.replace("\xa0", " ").strip()) for line in out.splitlines()]


def has_line(lines: list[str], *parts: str) -> bool:
    """Some line holds every part, in that order (a heading's left and right columns)."""
    pattern = ".*".join(re.escape(part) for part in parts)
    return any(re.search(pattern, line) for line in lines)


def joined(lines: list[str]) -> str:
    return " ".join(" ".join(lines).replace(" | ", " ").split())


def write_review(evaluation: Any, dossier_id: str, reviewed_at: datetime) -> None:
    """The commune's Form 03 as its review leaves it (the review's own rules are tested in
    the evaluation suite)."""
    with evaluation.db.unit_of_work() as uow:
        uow.session.merge(
            CommuneReview(
                dossier_id=uuid.UUID(dossier_id),
                local_criteria={
                    name: {
                        "assessment": f"Đánh giá {name}: nguyên liệu gừng địa phương.",
                        "rating": "yes" if name != "idea_origin" else "partly",
                    }
                    for name in CRITERIA
                },
                proposal="propose",
                reasons=None,
                reviewed_by=uuid.uuid4(),
                reviewed_at=reviewed_at,
            )
        )
        uow.commit()


HEADINGS = {
    "vi": ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "Số:"),
    "en": ("SOCIALIST REPUBLIC OF VIETNAM", "Independence - Freedom - Happiness", "No.:"),
}
COMMITTEE = {
    "vi": "ỦY BAN NHÂN DÂN TỈNH QUẢNG TRỊ",
    "en": "PEOPLE'S COMMITTEE OF QUẢNG TRỊ PROVINCE",
}
SIGNER = {"vi": ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), "en": ("ON BEHALF OF THE", "CHAIRPERSON")}


def assert_heading(
    lines: list[str], lang: str, issuer: str, number: str, day: date, place: str = "Quảng Trị"
) -> None:
    """The issuer top left beside the national heading, the motto under it (right); number
    and symbol left, place and date right, on one line below."""
    nation, motto, no = HEADINGS[lang]
    top = [line for line in lines if line][:8]
    at = next(i for i, line in enumerate(top) if nation in line)
    assert motto in top[at + 1], top
    left = []
    for line in top[at:]:
        if line.startswith(no):
            break
        if " | " in line:
            left.append(line.split(" | ")[0])
        elif motto not in line:  # the issuer's lines below the motto
            left.append(line)
    assert " ".join(left) == issuer, top
    assert has_line(lines, f"{no} {number}", f"{place}, {formal_day(day, lang)}"), top


def test_four_level_certificate_decision_and_form_03(
    public_portal: Any,
    new_browser: Any,
    people: dict[str, Any],
    call: flows.Transport,
    admin: flows.Actor,
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    tmp_path: Path,
) -> None:
    cert = certify(registration, evaluation, commune_officer, people, star_rank=4)
    deliver_accounts(registration, evaluation)  # the evaluation service knows who signed
    signer = people["province_authority"].account["display_name"]
    dossier_id, number = cert["dossier_id"], cert["number"]
    decided_on = date.fromisoformat(cert["issued_on"])
    write_review(evaluation, dossier_id, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    browser = new_browser()
    browser.sign_in(people["registration_applicant"].account["email"])
    page = browser.get(f"/dossiers/{dossier_id}")
    assert f'href="/certificates/of/{dossier_id}/decision" data-decision' in page
    assert f'href="/cases/{dossier_id}/commune-report" data-commune-report' in page
    host = {"Host": EVIL}

    for lang in ("vi", "en"):
        browser.get(f"/dossiers/{dossier_id}?lang={lang}")
        # The same person's session, sent to a Host of someone else's choosing.
        session = browser.client.get_cookie("ocop_portal")
        assert session is not None
        browser.client.set_cookie("ocop_portal", session.value, domain=EVIL)
        # The certificate: heading, product, rank, number, signer; the QR code's link and the
        # printed link on the public URL, not on the Host the request named.
        reply = browser.client.get(f"/certificates/of/{dossier_id}.pdf", headers=host)
        assert reply.status_code == 200 and reply.mimetype == "application/pdf"
        check = f"{PUBLIC}/certificates/check?number={number}"
        assert set(re.findall(rb"/URI \(([^)]*)\)", reply.data)) == {check.encode()}
        assert EVIL.encode() not in reply.data
        lines = text_of(reply.data, tmp_path)
        assert_heading(lines, lang, COMMITTEE[lang], number, decided_on)
        text = joined(lines)
        title = {
            "vi": "GIẤY CHỨNG NHẬN SẢN PHẨM OCOP ĐẠT HẠNG 4 SAO",
            "en": "CERTIFICATE OCOP PRODUCT RATED 4 STARS",
        }
        assert title[lang] in text
        assert cert["product_name"] in text and "1234/QĐ-UBND" in text
        assert all(part in text for part in SIGNER[lang])
        assert signer in text  # typed under the signature
        assert check in text  # the link printed under the code, to type in by hand
        html = browser.client.get(f"/certificates/of/{dossier_id}", headers=host)
        page = html.get_data(as_text=True)
        assert f'<a href="{check}">' in page and EVIL not in page
        assert HEADINGS[lang][0] in page and "data-issuer" in page

        # The recognition decision: its number, the province's committee, the articles, the
        # chair's signature for the committee and the recipients.
        reply = browser.client.get(f"/certificates/of/{dossier_id}/decision.pdf", headers=host)
        assert reply.status_code == 200
        lines = text_of(reply.data, tmp_path)
        assert_heading(lines, lang, COMMITTEE[lang], "1234/QĐ-UBND", decided_on)
        text = joined(lines)
        expected = {
            "vi": (
                "QUYẾT ĐỊNH Về việc công nhận sản phẩm đạt chuẩn OCOP",
                "148/QĐ-TTg",
                "Điều 1. Công nhận sản phẩm đạt chuẩn OCOP hạng 4 sao",
                "Nơi nhận:",
                f"Giấy chứng nhận số {number}",
                "Ủy ban nhân dân phường 1;",
            ),
            "en": (
                "DECISION On recognising a product as meeting the OCOP standard",
                "148/QĐ-TTg",
                "rated 4 stars",
                "Recipients:",
                f"Certificate No. {number}",
                "People's Committee of 1 Ward;",
            ),
        }
        for part in (*expected[lang], cert["product_name"], *SIGNER[lang], signer):
            assert part in text, (part, text)
        page = browser.get(f"/certificates/of/{dossier_id}/decision")
        assert browser.status == 200 and "1234/QĐ-UBND" in page and expected[lang][2] in page

        # Form 03, from the commune's People's Committee, dated the day of its review.
        reply = browser.client.get(f"/cases/{dossier_id}/commune-report.pdf")
        assert reply.status_code == 200
        lines = text_of(reply.data, tmp_path)
        ward = {"vi": "ỦY BAN NHÂN DÂN PHƯỜNG 1", "en": "PEOPLE'S COMMITTEE OF 1 WARD"}
        # Dated where the committee sits (Decree 30): a numbered ward keeps its kind.
        assert_heading(lines, lang, ward[lang], "……/BC-UBND", date(2026, 3, 2), "Phường 1")
        text = joined(lines)
        report = {
            "vi": (
                "Mẫu 03",
                "BÁO CÁO",
                "Sử dụng nguyên liệu",
                "Đạt một phần",
                "Đề xuất lên cấp trên",
            ),
            "en": (
                "Form 03",
                "REPORT",
                "Use of local raw",
                "Partly",
                "Propose upward",
            ),
        }
        for part in (*report[lang], *SIGNER[lang]):
            assert part in text, (part, text)
    # Another applicant reaches none of these documents: the API says no such case.
    other = flows.register(call, own_address=True)
    stranger = new_browser()
    stranger.sign_in(other.account["email"])
    for path in (
        "certificates/of/{}/decision",
        "certificates/of/{}.pdf",
        "cases/{}/commune-report.pdf",
    ):
        assert stranger.client.get("/" + path.format(dossier_id)).status_code == 404


def test_two_tier_documents_name_the_2025_units(
    public_portal: Any,
    new_browser: Any,
    people: dict[str, Any],
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    registration: Any,
    evaluation: Any,
    commune_officer: flows.Actor,
    tmp_path: Path,
) -> None:
    dossier = accepted(registration, evaluation, commune_officer, people)
    dossier_id = dossier["id"]
    # The case as a two-tier deployment files it: in the 2025 tree, no district.
    with evaluation.db.unit_of_work() as uow:
        case = uow.session.get_one(Case, uuid.UUID(dossier_id))
        case.unit_tree, case.province_code = "2025", "44"
        case.district_code, case.commune_code = None, TWO_TIER_WARD
        uow.commit()
    version = awaiting_decision(
        evaluation,
        dossier_id,
        star_rank=3,
        level="province",
        regime="two-tier",
        closed_on=days_ago(6),
    )
    authority = on_evaluation(
        eval_call,
        flows.create_official(admin, ["decision_authority"], TWO_TIER_PROVINCE, own_address=True),
    )
    reply = decide(authority, dossier_id, version, days_ago(2))
    assert reply.status == 201, reply.body
    number = reply.body["certificate"]["number"]
    write_review(evaluation, dossier_id, datetime(2026, 3, 2, 3, 0, tzinfo=UTC))
    browser = new_browser()
    browser.sign_in(people["registration_applicant"].account["email"])
    for lang in ("vi", "en"):
        browser.get(f"/certificates/check?lang={lang}")
        reply = browser.client.get(f"/certificates/of/{dossier_id}/decision.pdf")
        assert reply.status_code == 200
        lines = text_of(reply.data, tmp_path)
        assert_heading(lines, lang, COMMITTEE[lang], "1234/QĐ-UBND", days_ago(2))
        text = joined(lines)
        for part in ("26/2026/QĐ-TTg", number, *SIGNER[lang]):
            assert part in text, (part, text)
        ward = {
            "vi": "Ủy ban nhân dân phường Đồng Thuận;",
            "en": "People's Committee of Đồng Thuận Ward;",
        }
        assert ward[lang] in text

        reply = browser.client.get(f"/certificates/of/{dossier_id}.pdf")
        lines = text_of(reply.data, tmp_path)
        assert_heading(lines, lang, COMMITTEE[lang], number, days_ago(2))

        reply = browser.client.get(f"/cases/{dossier_id}/commune-report.pdf")
        lines = text_of(reply.data, tmp_path)
        issuer = {
            "vi": "ỦY BAN NHÂN DÂN PHƯỜNG ĐỒNG THUẬN",
            "en": "PEOPLE'S COMMITTEE OF ĐỒNG THUẬN WARD",
        }
        assert_heading(lines, lang, issuer[lang], "……/BC-UBND", date(2026, 3, 2), "Đồng Thuận")


@pytest.mark.parametrize(
    ("unit", "issuer"),
    [
        (
            "pre2025:district:461",
            {"vi": "ỦY BAN NHÂN DÂN THÀNH PHỐ ĐÔNG HÀ", "en": "PEOPLE'S COMMITTEE OF ĐÔNG HÀ CITY"},
        ),
        (TWO_TIER_PROVINCE, COMMITTEE),
        # The central council, under the ministry, in Hà Nội.
        (
            "national",
            {"vi": "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "en": "MINISTRY OF AGRICULTURE AND ENVIRONMENT"},
        ),
    ],
)
def test_minutes_are_signed_by_the_secretary_and_the_chair(
    portal_app: Any, unit: str, issuer: dict[str, str], tmp_path: Path
) -> None:
    """The minutes under the council's People's Committee, its name in capitals below, the
    secretary's and the chair's signatures with their names (drawn from the API's shapes)."""
    evaluation = {
        "level": "province",
        "closed_at": "2026-11-20T03:00:00Z",
        "quorum": {"sheets": 2, "required": 2, "eligible": 2, "declared": 2, "conflicted": 0},
        "result": {"parts": {"A": 30, "B": 20, "C": 25}, "total": 75, "star_rank": 4},
        "outcome": "recognised",
    }
    council = {
        "name": "Hội đồng đánh giá, phân hạng sản phẩm OCOP",
        "unit": unit,
        "members": [
            {"account_id": "a", "display_name": "Nguyễn Văn An", "role": "chair"},
            {"account_id": "b", "display_name": "Trần Thị Bình", "role": "secretary"},
        ],
    }
    dossier = {"product_name": "Trà gừng", "product_code": "QT-1", "producer_name": "HTX Cam Hiếu"}
    sheets = [{"part_points": {"A": 30, "B": 20, "C": 25}, "total": 75}] * 2
    for lang, words in (
        ("vi", ("BIÊN BẢN", "THƯ KÝ HỘI ĐỒNG", "CHỦ TỊCH HỘI ĐỒNG", "……/BB-HĐ")),
        ("en", ("MINUTES", "COUNCIL SECRETARY", "COUNCIL CHAIR", "……/BB-HĐ")),
    ):
        with portal_app.test_request_context(f"/?lang={lang}"):
            from flask import session

            session["lang"] = lang
            lines = text_of(pdf.minutes(evaluation, council, dossier, sheets), tmp_path)
        text = joined(lines)
        council_name = "HỘI ĐỒNG ĐÁNH GIÁ, PHÂN HẠNG SẢN PHẨM OCOP"
        # Dated where the body sits: the city of a city's council, the capital for the ministry.
        place = {"national": "Hà Nội", "pre2025:district:461": "Đông Hà"}.get(unit, "Quảng Trị")
        assert_heading(
            lines, lang, f"{issuer[lang]} {council_name}", "……/BB-HĐ", date(2026, 11, 20), place
        )
        for word in words:
            assert word in text, (word, text)
        # The secretary signs left, the chair right, their names under the room to sign.
        assert has_line(lines, words[1], words[2])
        assert has_line(lines, "Trần Thị Bình", "Nguyễn Văn An")


def test_the_minister_signs_a_national_decision(portal_app: Any, tmp_path: Path) -> None:
    """A 5★ recognition: issued by the ministry in Hà Nội, the minister signing in person (no
    "TM." line), on the grounds of the case's regime (here the two-tier 26/2026)."""
    cert = {
        "number": "OCOP-TW-2026-00003",
        "product_name": "Trà gừng",
        "product_code": "QT-1",
        "producer_name": "HTX Cam Hiếu",
        "star_rank": 5,
        "level": "national",
        "authority_unit": "national",
        "decision_number": "567/QĐ-BNNMT",
        "decided_on": "2026-12-06",
        "issued_on": "2026-12-06",
        "expires_on": "2029-12-06",
    }
    case = {"unit_tree": "2025", "commune_code": TWO_TIER_WARD, "regime": "two-tier"}
    with portal_app.test_request_context("/"):
        lines = text_of(pdf.decision(cert, case), tmp_path)
    assert_heading(
        lines, "vi", "BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG", "567/QĐ-BNNMT", date(2026, 12, 6), "Hà Nội"
    )
    text = joined(lines)
    assert "BỘ TRƯỞNG BỘ NÔNG NGHIỆP VÀ MÔI TRƯỜNG" in text and "26/2026/QĐ-TTg" in text
    assert "hạng 5 sao" in text and "Ủy ban nhân dân phường Đồng Thuận;" in text
    assert has_line(lines, "Nơi nhận:", "BỘ TRƯỞNG") and "TM." not in text
