"""Scripted failures: the replies and hang-ups the notification service must cope with."""

from __future__ import annotations

import smtplib
from collections.abc import Callable

import pytest

from services.notification.sink import (
    MAILBOX_UNAVAILABLE,
    SERVICE_NOT_AVAILABLE,
    TRY_AGAIN_LATER,
    Fault,
    FaultPlan,
    SmtpSink,
)

SENDER = "no-reply@ocop.gov.vn"


def send(sink: SmtpSink, raw: bytes, *recipients: str) -> None:
    with smtplib.SMTP(sink.host, sink.port, timeout=10) as client:
        client.sendmail(SENDER, list(recipients), raw)


def test_first_message_to_a_recipient_gets_451_then_the_retry_succeeds(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    sink.faults = FaultPlan().reply("x@", TRY_AGAIN_LATER, times=1)
    raw = make_message(recipients=["x@example.vn"])

    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(sink, raw, "x@example.vn")
    assert (refused.value.smtp_code, refused.value.smtp_error) == (451, b"Try again later")
    assert sink.store.list() == []

    send(sink, make_message(recipients=["other@example.vn"]), "other@example.vn")  # no match
    send(sink, raw, "x@example.vn")  # the retry
    assert [m.rcpt_tos for m in sink.store.list()] == [("other@example.vn",), ("x@example.vn",)]
    assert sink.faults.pending == 0


def test_550_is_permanent(sink: SmtpSink, make_message: Callable[..., bytes]) -> None:
    sink.faults = FaultPlan().reply("gone@", MAILBOX_UNAVAILABLE, times=None)
    for _ in range(3):
        with pytest.raises(smtplib.SMTPDataError) as refused:
            send(sink, make_message(), "gone@example.vn")
        assert refused.value.smtp_code == 550
    assert sink.store.list() == []
    assert sink.faults.pending == 1


def test_drop_after_data_stores_but_never_answers(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    sink.faults = FaultPlan().drop_after_data("x@")
    raw = make_message(recipients=["x@example.vn"])

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send(sink, raw, "x@example.vn")

    # The ambiguous case: the client saw no answer, yet the message was delivered.
    [stored] = sink.store.list()
    assert sink.store.get(stored.name) == raw


def test_421_answers_then_closes_the_connection(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    sink.faults = FaultPlan().reply("", SERVICE_NOT_AVAILABLE)
    client = smtplib.SMTP(sink.host, sink.port, timeout=10)
    try:
        client.ehlo()
        client.mail(SENDER)
        client.rcpt("x@example.vn")
        assert client.data(make_message()) == (421, b"Service not available")
        with pytest.raises(smtplib.SMTPServerDisconnected):
            client.noop()
    finally:
        client.close()
    assert sink.store.list() == []


def test_matches_any_recipient_case_insensitively_in_rule_order(
    sink: SmtpSink, make_message: Callable[..., bytes]
) -> None:
    sink.faults = FaultPlan(
        Fault("X@EXAMPLE", reply=TRY_AGAIN_LATER, times=2),
        Fault("example.vn", reply=MAILBOX_UNAVAILABLE),
    )
    codes = []
    for _ in range(4):
        try:
            send(sink, make_message(), "a@example.vn", "x@example.vn")
            codes.append(250)
        except smtplib.SMTPDataError as error:
            codes.append(error.smtp_code)
    assert codes == [451, 451, 550, 250]
    assert len(sink.store.list()) == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"reply": "250 OK"},  # a success is not a fault
        {"reply": "451"},  # no text
        {"reply": "451 Try again\r\nlater"},  # would inject a second reply line
        {"reply": TRY_AGAIN_LATER, "drop": True},  # both
        {},  # neither
        {"reply": TRY_AGAIN_LATER, "times": 0},
    ],
)
def test_fault_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Fault("x@", **kwargs)  # type: ignore[arg-type]
