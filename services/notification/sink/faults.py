"""Scripted SMTP failures, so the notification service's retry logic can be tested for real.

A :class:`FaultPlan` is an ordered list of :class:`Fault` rules. The sink consults it once per
message, after the client has sent the whole DATA section: the first rule whose ``recipient``
substring occurs in one of the envelope recipients, and which has uses left, fires and uses one
up. A rule either answers ``reply`` instead of storing the message, or (``drop=True``) stores the
message and then closes the connection without answering: the ambiguous case where the client
cannot know whether the message was accepted. Messages no rule matches are stored normally.

    plan = FaultPlan().reply("x@", TRY_AGAIN_LATER, times=2).reply("bad@", MAILBOX_UNAVAILABLE)

Plans are shared between the test thread and the server thread, hence the lock.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

SERVICE_NOT_AVAILABLE = "421 Service not available"
TRY_AGAIN_LATER = "451 Try again later"
MAILBOX_UNAVAILABLE = "550 Mailbox unavailable"

# Only failures make sense here; a 2xx "fault" would pretend to deliver without storing.
_REPLY = re.compile(r"[45][0-9][0-9] [^\r\n]+")


@dataclass(slots=True)
class Fault:
    """One rule: what to do with the next ``times`` messages sent to a matching recipient.

    ``recipient`` is matched case-insensitively as a substring of each envelope recipient
    (``""`` matches every message). ``times=None`` means the rule never runs out.
    """

    recipient: str
    reply: str | None = None
    drop: bool = False
    times: int | None = 1
    fired: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if self.drop == (self.reply is not None):
            raise ValueError("a fault either answers a reply or drops the connection, not both")
        if self.reply is not None and not _REPLY.fullmatch(self.reply):
            raise ValueError(f"not a 4xx/5xx SMTP reply line: {self.reply!r}")
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None for always)")

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, recipients: Iterable[str]) -> bool:
        needle = self.recipient.lower()
        return any(needle in address.lower() for address in recipients)


class FaultPlan:
    """Ordered fault rules, consulted per message; see the module docstring."""

    def __init__(self, *faults: Fault) -> None:
        self._faults: list[Fault] = list(faults)
        self._lock = threading.Lock()

    def add(self, fault: Fault) -> FaultPlan:
        with self._lock:
            self._faults.append(fault)
        return self

    def reply(self, recipient: str, reply: str, *, times: int | None = 1) -> FaultPlan:
        """Answer ``reply`` (e.g. ``"451 Try again later"``) instead of storing the message."""
        return self.add(Fault(recipient, reply=reply, times=times))

    def drop_after_data(self, recipient: str, *, times: int | None = 1) -> FaultPlan:
        """Store the message, then hang up without answering the end of DATA."""
        return self.add(Fault(recipient, drop=True, times=times))

    def take(self, recipients: Sequence[str]) -> Fault | None:
        """The rule that applies to a message with these recipients, counting it as used."""
        with self._lock:
            for fault in self._faults:
                if not fault.exhausted and fault.matches(recipients):
                    fault.fired += 1
                    return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    @property
    def pending(self) -> int:
        """Rules that can still fire (``times=None`` rules always count)."""
        with self._lock:
            return sum(not fault.exhausted for fault in self._faults)
