"""Decisions are told with their reason in words, in each reader's language: every revocation
ground and every reason code a refusal carries has its words in both catalogues, and no code
reaches the reader (issue 20.4)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.evaluation.domain.revocation import RevocationGround
from services.notification.adapters.templating import Catalogue
from services.notification.domain.recipients import Recipient
from shared.events.schemas_evaluation import Decided

PORTAL = "http://portal.test"
REASON_CODES = sorted(Decided().fields["reason_code"].validate.choices)  # type: ignore[union-attr]


def reader(language: str) -> Recipient:
    return Recipient(uuid.uuid4(), "x@example.vn", "Lê Văn Tâm", language, "applicant")


def case(**extra: Any) -> dict[str, Any]:
    return {
        "product_name": "Mật ong hoa cà phê",
        "product_code": "45-19333-001-2026",
        "level": "district",
        "number": "OCOP-45.461-2026-00017",
        "star_rank": 3,
        "authority_unit": "pre2025:district:461",
        "decision_number": "12/QĐ-UBND",
        "issued_on": "2026-01-10",
        "expires_on": "2029-01-10",
        **extra,
    }


def render(event_type: str, payload: dict[str, Any], language: str, dossier: bool = True):
    return Catalogue().render(
        event_type=event_type,
        payload=payload,
        recipient=reader(language),
        portal_url=PORTAL,
        dossier_id=str(uuid.uuid4()) if dossier else None,
    )


WORDS = {
    ("en", "breach_of_law"): "A breach of quality, food-safety, environment",
    ("vi", "breach_of_law"): "Vi phạm pháp luật về chất lượng, an toàn thực phẩm",
    ("en", "rank_not_higher"): "is not above certificate OCOP-45.461-2026-00009 (3 stars)",
    ("vi", "rank_not_higher"): "không cao hơn hạng của giấy chứng nhận số OCOP-45.461-2026-00009",
    ("en", "below_three_stars"): "below the 3 stars a recognition needs",
    ("vi", "below_three_stars"): "thấp hơn mức 3 sao",
    ("en", "knocked_out"): "A knockout or stop finding",
    ("vi", "knocked_out"): "tiêu chí loại trừ",
}


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("ground", [g.value for g in RevocationGround])
def test_every_revocation_ground_reads_as_words(language: str, ground: str) -> None:
    payload = case(ground=ground, revoked_on="2026-12-01", note=None)
    rendered = render("certificate.revoked", payload, language)
    for part in (rendered.subject, rendered.text, rendered.html):
        assert ground not in part
    if (language, ground) in WORDS:
        assert WORDS[(language, ground)] in rendered.text


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("code", REASON_CODES)
def test_every_refusal_reason_reads_as_words(language: str, code: str) -> None:
    payload = case(
        outcome="not_recognised",
        reason_code=code,
        certificate_number="OCOP-45.461-2026-00009" if code == "rank_not_higher" else None,
        certificate_star_rank=3 if code == "rank_not_higher" else None,
        result={
            "parts": {"A": 20.0, "B": 15.0, "C": 10.0},
            "total": 45.0,
            "band": 2,
            "marks_met_level": 2,
            "star_rank": 3,
            "members": 3,
            "findings": ["Sản phẩm vi phạm an toàn thực phẩm"] if code == "knocked_out" else [],
        },
    )
    rendered = render("evaluation.decided", payload, language)
    assert code not in rendered.text + rendered.html
    assert WORDS[(language, code)] in rendered.text
    assert WORDS[(language, code)] in rendered.html
    if code == "knocked_out":
        assert "Sản phẩm vi phạm an toàn thực phẩm" in rendered.text


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", "Reason: its validity from its issue on 10 Jan 2026 has run out"),
        ("vi", "Lý do: thời hạn hiệu lực tính từ ngày cấp 10/01/2026 đã hết"),
    ],
)
def test_an_expiry_says_why(language: str, words: str) -> None:
    rendered = render("certificate.expired", case(), language)
    assert words in rendered.text


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", "It supersedes certificate OCOP-45-2025-00002"), ("vi", "thay thế giấy chứng nhận")],
)
def test_a_certificate_that_supersedes_another_says_so(language: str, words: str) -> None:
    rendered = render("certificate.issued", case(replaces="OCOP-45-2025-00002"), language)
    assert words in rendered.text
    plain = render("certificate.issued", case(replaces=None), language)
    assert "OCOP-45-2025-00002" not in plain.text


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Open the OCOP portal"), ("vi", "Mở cổng thông tin OCOP")]
)
def test_a_council_seat_links_to_the_portal(language: str, words: str) -> None:
    seat = {
        "council_id": str(uuid.uuid4()),
        "council_name": "Hội đồng OCOP huyện Đông Hà",
        "level": "district",
        "unit": "pre2025:district:461",
        "account_id": str(uuid.uuid4()),
        "role": "member",
    }
    rendered = render("council.member_added", seat, language, dossier=False)
    assert f"{words}: {PORTAL}/" in rendered.text
    assert f'<a href="{PORTAL}/">{words}</a>' in rendered.html


def test_a_message_without_a_dossier_or_a_portal_page_has_no_link() -> None:
    rendered = render("certificate.expired", case(), "en", dossier=False)
    assert PORTAL not in rendered.text
