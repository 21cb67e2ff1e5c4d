"""Pure rules of sending: backoff, when a failure is final, the Message-ID of a retry."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.notification.domain.delivery import Failure, Status, after_failure, retry_delay
from services.notification.domain.messages import message_id

NOW = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
BACKOFF = {"base_seconds": 30.0, "cap_seconds": 600.0}


@pytest.mark.parametrize(
    ("attempts", "seconds"), [(1, 30), (2, 60), (3, 120), (5, 480), (6, 600), (20, 600)]
)
def test_backoff_doubles_up_to_its_cap(attempts: int, seconds: int) -> None:
    assert retry_delay(attempts, **BACKOFF) == timedelta(seconds=seconds)


def test_a_transient_failure_is_retried_after_the_backoff() -> None:
    outcome = after_failure(
        Failure("451 try later", permanent=False), attempts=2, max_attempts=6, now=NOW, **BACKOFF
    )
    assert outcome.status == Status.FAILED_TRANSIENT and not outcome.final
    assert outcome.next_attempt_at == NOW + timedelta(seconds=60)


def test_a_5xx_is_final_at_the_first_attempt() -> None:
    outcome = after_failure(
        Failure("550 no such user", permanent=True), attempts=1, max_attempts=6, now=NOW, **BACKOFF
    )
    assert outcome.status == Status.FAILED_PERMANENT and outcome.final
    assert outcome.next_attempt_at is None


def test_transient_failures_are_final_once_the_attempts_are_spent() -> None:
    failure = Failure("421 closing", permanent=False)
    assert not after_failure(failure, attempts=5, max_attempts=6, now=NOW, **BACKOFF).final
    spent = after_failure(failure, attempts=6, max_attempts=6, now=NOW, **BACKOFF)
    assert spent.final and spent.status == Status.FAILED_PERMANENT


def test_the_message_id_is_the_same_for_every_attempt_and_differs_per_recipient() -> None:
    event, alice, bob = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    first = message_id(event, alice, "ocop.test")
    assert first == message_id(event, alice, "ocop.test")
    assert first != message_id(event, bob, "ocop.test")
    assert first != message_id(uuid.uuid4(), alice, "ocop.test")
    assert first.startswith("<") and first.endswith("@ocop.test>")
