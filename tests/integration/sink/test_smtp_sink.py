"""The sink receives real SMTP and keeps exactly what was sent, with its envelope."""

from __future__ import annotations

import gc
import json
import os
import smtplib
from collections.abc import Callable
from pathlib import Path

import pytest

from services.notification.sink import ACCEPTED, MailStore, SmtpSink, UnknownMessage, server

SENDER = "no-reply@ocop.gov.vn"
RECIPIENTS = ["chu.the@example.vn", "can.bo@sonongnghiep.example.vn"]
SUBJECT = "Hồ sơ đã được tiếp nhận"


def send(sink: SmtpSink, raw: bytes, recipients: list[str] = RECIPIENTS) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        refused = client.sendmail(SENDER, recipients, raw)
    assert refused == {}


def test_stores_the_message_byte_for_byte_with_its_envelope(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    raw = make_message(subject=SUBJECT, recipients=RECIPIENTS)
    assert b"multipart/alternative" in raw and "Kính gửi".encode() in raw  # 8-bit UTF-8 body
    assert b"\r\n." in raw and raw.endswith(b"\r\n")  # dot-stuffed on the wire, unstuffed back

    send(sink, raw)

    [stored] = sink.store.list()
    assert sink.store.get(stored.name) == raw
    assert (sink.store.directory / stored.file_name).read_bytes() == raw
    assert stored.subject == SUBJECT  # decoded from RFC 2047
    assert b"=?utf-8?" in raw.split(b"\r\n\r\n", 1)[0]  # ...which it really was on the wire
    assert stored.mail_from == SENDER
    assert stored.rcpt_tos == tuple(RECIPIENTS)
    assert stored.message_id is not None and stored.message_id.endswith("@ocop.gov.vn>")
    assert stored.size == len(raw)
    sidecar = json.loads((sink.store.directory / f"{stored.name}.json").read_text())
    assert sidecar["mail_from"] == SENDER and sidecar["rcpt_tos"] == RECIPIENTS
    # Only the message and its sidecar: no temporary file left behind.
    assert sorted(os.listdir(sink.store.directory)) == [f"{stored.name}.eml", f"{stored.name}.json"]


def test_answers_accepted_for_delivery(sink: SmtpSink, make_message: Callable[..., bytes]) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.ehlo()
        assert client.mail(SENDER)[0] == 250
        assert client.rcpt(RECIPIENTS[0])[0] == 250
        assert client.data(make_message()) == (250, ACCEPTED[4:].encode())


def test_lists_in_arrival_order_with_sortable_unique_names(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    subjects = [f"Thông báo {n}" for n in range(5)]
    for subject in subjects:
        send(sink, make_message(subject=subject))

    listed = sink.store.list()
    assert [m.subject for m in listed] == subjects
    names = [m.name for m in listed]
    assert names == sorted(names) and len(set(names)) == len(names)
    assert [m.received_at for m in listed] == sorted(m.received_at for m in listed)


def test_another_store_on_the_same_directory_sees_the_messages(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    send(sink, make_message(subject=SUBJECT))
    [stored] = MailStore(sink.store.directory).list()
    assert stored.subject == SUBJECT


def test_clear_removes_messages_and_nothing_else(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    send(sink, make_message())
    send(sink, make_message())
    keep = sink.store.directory / "README.txt"
    keep.write_text("not a message")

    sink.store.clear()

    assert sink.store.list() == []
    assert os.listdir(sink.store.directory) == ["README.txt"]


@pytest.mark.parametrize(
    "name", ["", "..", "../secret", "/etc/passwd", "README", "README.txt", "x.json", "a/b.eml"]
)
def test_get_refuses_names_the_store_did_not_list(mail_dir: Path, name: str) -> None:
    store = MailStore(mail_dir)
    (mail_dir / "README.eml").write_bytes(b"Subject: not ours\r\n\r\n")
    (mail_dir.parent / "secret.eml").write_bytes(b"Subject: secret\r\n\r\n")
    with pytest.raises(UnknownMessage):
        store.get(name)
    assert store.list() == []  # a stray .eml with a foreign name is not listed either


def test_get_accepts_the_file_name_too(mail_dir: Path) -> None:
    store = MailStore(mail_dir)
    stored = store.save(b"Subject: x\r\n\r\nbody\r\n", SENDER, RECIPIENTS)
    assert store.get(stored.file_name) == store.get(stored.name) == b"Subject: x\r\n\r\nbody\r\n"


def test_a_failed_write_leaves_no_partial_file(
    mail_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MailStore(mail_dir)

    def failing_replace(source: str, target: Path) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError, match="disk full"):
        store.save(b"Subject: x\r\n\r\n", SENDER, RECIPIENTS)
    assert os.listdir(mail_dir) == []


def test_a_lost_sidecar_still_lists_the_message(mail_dir: Path) -> None:
    store = MailStore(mail_dir)
    stored = store.save(b"Subject: =?utf-8?q?H=E1=BB=93_s=C6=A1?=\r\n\r\n", SENDER, RECIPIENTS)
    (mail_dir / f"{stored.name}.json").unlink()

    [listed] = store.list()
    assert listed.subject == "Hồ sơ"
    assert (listed.mail_from, listed.rcpt_tos) == ("", ())
    assert listed.received_at == stored.received_at  # recovered from the file name


def test_start_twice_and_port_in_use_fail_loudly(mail_dir: Path, unused_port: int) -> None:
    with SmtpSink("127.0.0.1", unused_port, mail_dir) as sink:
        with pytest.raises(RuntimeError, match="already running"):
            sink.start()
        with pytest.raises(OSError):
            SmtpSink("127.0.0.1", unused_port, mail_dir).start()
    assert not sink.running
    sink.stop()  # stopping a stopped sink is harmless


def test_a_failed_start_leaks_no_event_loop(
    mail_dir: Path, unused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Bypass the quick bind probe so aiosmtpd's own failure path runs; filterwarnings=error turns
    # a leaked loop (ResourceWarning at garbage collection) into a failure.
    monkeypatch.setattr(server, "_check_bindable", lambda host, port: None)
    monkeypatch.setenv("AIOSMTPD_CONTROLLER_TIMEOUT", "0.5")
    with SmtpSink("127.0.0.1", unused_port, mail_dir):
        with pytest.raises(OSError):
            SmtpSink("127.0.0.1", unused_port, mail_dir).start()
        gc.collect()


def test_defaults_to_the_mail_folder_of_the_data_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OCOP_DATA_DIR", str(tmp_path / "data"))
    sink = SmtpSink()
    assert (sink.host, sink.port) == ("127.0.0.1", 8025)
    assert sink.store.directory == tmp_path / "data" / "mail"
    assert not sink.running


def test_a_storage_failure_is_a_transient_error(
    sink: SmtpSink, make_message: Callable[..., bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full_disk(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sink.store, "save", full_disk)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(sink, make_message())
    assert refused.value.smtp_code == 451
