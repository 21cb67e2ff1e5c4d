"""The email as built for sending: headers that decode back to exactly what was rendered."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email import policy

import pytest

from services.notification.domain.messages import Rendered, build, encode


def roundtrip(subject: str) -> tuple[bytes, email.message.EmailMessage]:
    message = build(
        rendered=Rendered(subject, "Nội dung", "<p>Nội dung</p>"),
        sender="no-reply@ocop.test",
        sender_name="OCOP",
        to_email="hoa@example.vn",
        to_name="Nguyễn Thị Hoa",
        message_id="<abc@ocop.test>",
        date=datetime(2026, 11, 29, 8, 0, tzinfo=UTC),
    )
    raw = message.as_bytes()
    return raw, email.message_from_bytes(raw, policy=policy.default)


@pytest.mark.parametrize(
    "subject",
    [
        # Python's own folder turned this into "vàoHội" (the space lost at the fold).
        "[OCOP] Anh/Chị được bổ nhiệm vào Hội đồng cấp huyện",
        "[OCOP] Kết quả: Mật ong hoa cà phê (45-19333-001-2026) không được công nhận ở cấp "
        "huyện, và một dòng dài nữa để gập nhiều lần trong tiêu đề của thư",
        "[OCOP] Dossier submitted: a plain ASCII subject",
    ],
)
def test_the_subject_decodes_to_exactly_what_was_rendered(subject: str) -> None:
    raw, parsed = roundtrip(subject)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()
    assert all(len(line) <= 78 for line in head.split(b"\r\n"))
    assert parsed["Subject"] == subject


def test_a_newline_in_a_subject_cannot_start_a_header() -> None:
    _raw, parsed = roundtrip("[OCOP] one\r\nBcc: x@evil.test")
    assert parsed["Bcc"] is None
    assert parsed["Subject"] == "[OCOP] one Bcc: x@evil.test"


@pytest.mark.parametrize(
    "name",
    [
        "Nguyễn Văn An",
        "Hợp tác xã Nông nghiệp Đông Hà",
        'Office, "OCOP" (province)',
        "",
        "A plain ASCII display name long enough that the header has to be folded somewhere",
    ],
)
@pytest.mark.parametrize("address", ["an@example.vn", "an@ví-dụ.vn"])
def test_names_and_addresses_arrive_as_written_within_the_line_limit(
    name: str, address: str
) -> None:
    raw = encode(
        rendered=Rendered("Thông báo", "Kính gửi", "<p>Kính gửi</p>"),
        sender="ocop@example.vn",
        sender_name="Văn phòng OCOP",
        to_email=address,
        to_name=name,
        message_id="<id@example.vn>",
        date=datetime(2026, 11, 30, tzinfo=UTC),
    )
    # A non-ASCII address goes as SMTPUTF8: raw UTF-8 headers.
    text = raw.decode("utf-8" if not address.isascii() else "ascii")
    mail = email.message_from_string(text, policy=policy.default)
    (to,) = mail["To"].addresses
    assert (to.display_name, to.addr_spec) == (name, address)
    assert str(mail["Subject"]) == "Thông báo"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
