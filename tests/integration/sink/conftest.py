"""Fixtures for the SMTP sink tests: a sink on a free port, and a realistic Vietnamese message."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest

from services.notification.sink import SmtpSink

SENDER = "no-reply@ocop.gov.vn"
RECIPIENTS = ("chu.the@example.vn", "can.bo@sonongnghiep.example.vn")
SUBJECT = "Hồ sơ đã được tiếp nhận"


def free_port() -> int:
    # aiosmtpd's Controller cannot report the port it got from binding port 0 in every version,
    # so ask the OS for a free one first (a tiny race, acceptable in tests).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    return free_port()


@pytest.fixture
def another_unused_port(unused_port: int) -> int:
    while (port := free_port()) == unused_port:
        pass
    return port


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    return tmp_path / "mail"


@pytest.fixture
def sink(mail_dir: Path) -> Iterator[SmtpSink]:
    with SmtpSink("127.0.0.1", free_port(), mail_dir) as running:
        yield running


@pytest.fixture
def make_message() -> Callable[..., bytes]:
    """Build a multipart/alternative UTF-8 notification, as wire bytes (CRLF line endings)."""

    def build(
        subject: str = SUBJECT,
        recipients: Sequence[str] = RECIPIENTS,
        sender: str = SENDER,
    ) -> bytes:
        message = EmailMessage()
        message["From"] = f"Cổng OCOP <{sender}>"
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="ocop.gov.vn")
        # The second line starts with a dot, so smtplib must dot-stuff it and the sink unstuff it.
        message.set_content(
            "Kính gửi Quý chủ thể,\n.Hồ sơ OCOP-2025-000123 đã được tiếp nhận.\nTrân trọng.\n"
        )
        message.add_alternative(
            "<p>Kính gửi Quý chủ thể,</p><p>Hồ sơ <b>OCOP-2025-000123</b> đã được tiếp nhận.</p>",
            subtype="html",
        )
        return message.as_bytes(policy=SMTP)

    return build
