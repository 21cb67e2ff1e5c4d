"""The human view of the sink: lists, shows and downloads messages, and nothing else."""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from services.notification.sink import MailStore, SmtpSink, StoredMessage
from services.notification.sink.web import create_app

SENDER = "no-reply@ocop.gov.vn"
RECIPIENTS = ["chu.the@example.vn", "can.bo@sonongnghiep.example.vn"]
SUBJECT = "Hồ sơ đã được tiếp nhận"


@pytest.fixture
def store(mail_dir: Path) -> MailStore:
    return MailStore(mail_dir)


@pytest.fixture
def client(mail_dir: Path) -> FlaskClient:
    return create_app(mail_dir).test_client()


@pytest.fixture
def stored(store: MailStore, make_message: Callable[..., bytes]) -> StoredMessage:
    return store.save(make_message(subject=SUBJECT, recipients=RECIPIENTS), SENDER, RECIPIENTS)


def test_lists_what_the_smtp_sink_received(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as smtp:
        smtp.sendmail(SENDER, RECIPIENTS, make_message(subject=SUBJECT, recipients=RECIPIENTS))
    [stored] = sink.store.list()

    page = create_app(sink.store.directory).test_client().get("/")

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert SUBJECT in html
    assert SENDER in html
    assert ", ".join(RECIPIENTS) in html
    assert f'href="/messages/{stored.name}"' in html


def test_empty_sink(client: FlaskClient) -> None:
    assert "No messages yet." in client.get("/").get_data(as_text=True)
    assert client.get("/api/messages").get_json() == []


def test_message_page_shows_headers_text_part_and_raw_link(
    client: FlaskClient, stored: StoredMessage
) -> None:
    page = client.get(f"/messages/{stored.name}")

    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f"<h1>{SUBJECT}</h1>" in html
    assert ".Hồ sơ OCOP-2025-000123 đã được tiếp nhận." in html  # the text/plain part
    assert "<th>Message-ID</th>" in html and stored.message_id is not None
    assert "text/html" in html  # listed among the parts
    assert f'href="/messages/{stored.file_name}"' in html


def test_raw_download_is_the_stored_bytes(
    client: FlaskClient, store: MailStore, stored: StoredMessage
) -> None:
    response = client.get(f"/messages/{stored.file_name}")

    assert response.status_code == 200
    assert response.mimetype == "message/rfc822"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{stored.file_name}"'
    assert response.data == store.get(stored.name)


def test_api_lists_messages_as_json(client: FlaskClient, stored: StoredMessage) -> None:
    [entry] = client.get("/api/messages").get_json()
    assert entry["name"] == stored.name
    assert entry["subject"] == SUBJECT
    assert entry["mail_from"] == SENDER
    assert entry["rcpt_tos"] == RECIPIENTS
    assert entry["message_id"] == stored.message_id
    assert entry["received_at"] == stored.received_at.isoformat()
    assert entry["url"] == f"/messages/{stored.name}"
    assert entry["raw_url"] == f"/messages/{stored.file_name}"


def test_escapes_html_in_subjects_addresses_and_text(client: FlaskClient, store: MailStore) -> None:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = "x@example.vn"
    message["Subject"] = "<script>alert('hồ sơ')</script> & co"
    message.set_content("<img src=x onerror=alert(1)>\n")
    stored = store.save(message.as_bytes(policy=SMTP), "<b>@example.vn", ["x@example.vn"])

    for path in ("/", f"/messages/{stored.name}"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&#39;hồ sơ&#39;)&lt;/script&gt; &amp; co" in html
        assert "&lt;b&gt;@example.vn" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<img" not in html


@pytest.mark.parametrize(
    "path",
    [
        "/messages/..%2F..%2Fpyproject.toml",
        "/messages/..%2Fsecret.eml",
        "/messages/%2E%2E",
        "/messages/../secret.eml",
        "/messages/stray.eml",  # in the directory, but not a name the store produced
        "/messages/stray",
        "/messages/{name}.json",
        "/messages/{name}.eml.eml",
        "/messages/{name}%00.eml",
        "/messages/20000101T000000.000000Z-000001-00000000",  # well formed, not stored
        "/messages/20000101T000000.000000Z-000001-00000000.eml",
    ],
)
def test_unknown_or_traversal_names_get_404(
    client: FlaskClient, mail_dir: Path, stored: StoredMessage, path: str
) -> None:
    (mail_dir / "stray.eml").write_bytes(b"Subject: stray\r\n\r\n")
    (mail_dir.parent / "secret.eml").write_bytes(b"Subject: secret\r\n\r\n")
    response = client.get(path.format(name=stored.name))
    assert response.status_code == 404
    assert b"secret" not in response.data and b"stray" not in response.data
