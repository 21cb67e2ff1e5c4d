"""What the command line gets: a terminal listing, and a foreground sink that stops cleanly."""

from __future__ import annotations

import json
import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

from services.notification.sink import MailStore
from services.notification.sink.cli import list_messages

REPO = Path(__file__).resolve().parents[3]
SENDER = "no-reply@ocop.gov.vn"
RECIPIENTS = ["chu.the@example.vn", "can.bo@sonongnghiep.example.vn"]
SUBJECT = "Hồ sơ đã được tiếp nhận"


def test_list_messages_empty(mail_dir: Path) -> None:
    assert list_messages(mail_dir) == f"No messages in {mail_dir}."


def test_list_messages_table(mail_dir: Path, make_message: Callable[..., bytes]) -> None:
    store = MailStore(mail_dir)
    first = store.save(make_message(subject=SUBJECT), SENDER, RECIPIENTS)
    second = store.save(make_message(subject="Kết quả " * 20), SENDER, ["x@example.vn"])

    header, row1, row2 = list_messages(mail_dir).splitlines()

    assert header.split() == ["Received", "(UTC)", "From", "To", "Subject", "Name"]
    assert SUBJECT in row1 and SENDER in row1 and row1.endswith(first.name)
    assert "chu.the@example.vn, can.bo@sono…" in row1  # long cells are cut, not wrapped
    assert row2.endswith(second.name) and "…" in row2
    assert row1.index(first.name) == row2.index(second.name) == header.index("Name")


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"nothing listening on {port}")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_stops_cleanly_on_signal(
    signum: signal.Signals,
    mail_dir: Path,
    unused_port: int,
    another_unused_port: int,
    make_message: Callable[..., bytes],
) -> None:
    http_port = another_unused_port
    code = (
        "import sys\n"
        "from services.notification.sink.cli import serve_forever\n"
        f"sys.exit(serve_forever('127.0.0.1', {unused_port}, {str(mail_dir)!r},"
        f" http_port={http_port}))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONWARNINGS": "error"}
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for_port(unused_port, process)
        with smtplib.SMTP("127.0.0.1", unused_port, timeout=10) as client:
            client.sendmail(SENDER, RECIPIENTS, make_message(subject=SUBJECT))
        _wait_for_port(http_port, process)
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/api/messages") as response:
            assert [entry["subject"] for entry in json.load(response)] == [SUBJECT]
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, stderr
    # stderr carries the web server's access log; anything alarming would show up there.
    assert "Traceback" not in stderr and "Warning" not in stderr, stderr
    assert f"SMTP sink on 127.0.0.1:{unused_port}" in stdout
    assert f"{SENDER} -> {', '.join(RECIPIENTS)}: {SUBJECT}" in stdout
    assert stdout.rstrip().endswith("SMTP sink stopped")
    assert [m.subject for m in MailStore(mail_dir).list()] == [SUBJECT]
