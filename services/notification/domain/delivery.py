"""The life of one delivery: statuses, how an SMTP failure is classified, when to try again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    FAILED_TRANSIENT = "failed_transient"
    FAILED_PERMANENT = "failed_permanent"
    # A routine message waiting for its recipient's daily digest, then gathered into one; it
    # becomes sent (or failed) with the digest's own delivery.
    HELD = "held"
    IN_DIGEST = "in_digest"


# Rows a sender may pick up (a transient failure once its next attempt is due).
SENDABLE = (Status.QUEUED, Status.FAILED_TRANSIENT)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why an attempt failed; ``permanent`` for a 5xx answer to the message itself."""

    error: str
    permanent: bool


@dataclass(frozen=True, slots=True)
class Outcome:
    """What becomes of a delivery after a failed attempt."""

    status: Status
    next_attempt_at: datetime | None
    final: bool


def retry_delay(attempts: int, *, base_seconds: float, cap_seconds: float) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt (1, 2, ...), capped."""
    return timedelta(seconds=min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def after_failure(
    failure: Failure,
    *,
    attempts: int,
    max_attempts: int,
    now: datetime,
    base_seconds: float,
    cap_seconds: float,
) -> Outcome:
    """A 5xx fails at once; a transient failure is retried until ``max_attempts`` are spent."""
    if failure.permanent or attempts >= max_attempts:
        return Outcome(Status.FAILED_PERMANENT, None, final=True)
    delay = retry_delay(attempts, base_seconds=base_seconds, cap_seconds=cap_seconds)
    return Outcome(Status.FAILED_TRANSIENT, now + delay, final=False)
