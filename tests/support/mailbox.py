"""Reading what an SMTP sink stored, for end-to-end tests of the emails.

The sink (``services.notification.sink``) keeps each message as an ``.eml`` file with its SMTP
envelope beside it; ``read`` returns them parsed, oldest first, and ``settle`` waits until the
expected mail is there and then until nothing more arrives (a duplicate would come late).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path

from services.notification.sink.store import MailStore, UnknownMessage, parse_message


@dataclass(frozen=True)
class Mail:
    """One stored message: the envelope recipients (who it was really sent to) and the message."""

    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if isinstance(part, EmailMessage) else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if isinstance(part, EmailMessage) else ""


def read(directory: Path) -> list[Mail]:
    """Every message the sink stored in ``directory``, in arrival order."""
    store = MailStore(directory)
    found = []
    for stored in store.list():
        try:
            raw = store.get(stored.name)
        except UnknownMessage:  # cleared while listing
            continue
        found.append(Mail(stored.rcpt_tos, parse_message(raw)))
    return found


def settle(
    fetch: Callable[[], list[Mail]],
    done: Callable[[list[Mail]], bool],
    *,
    timeout: float,
    quiet: float = 3.0,
) -> list[Mail]:
    """What ``fetch`` returns once ``done`` holds (or ``timeout`` passed: the caller's asserts
    then say what is missing) and no new message arrived for ``quiet`` seconds."""
    deadline = time.monotonic() + timeout
    mails = fetch()
    while not done(mails) and time.monotonic() < deadline:
        time.sleep(0.5)
        mails = fetch()
    count, still_since = len(mails), time.monotonic()
    while time.monotonic() - still_since < quiet:
        time.sleep(0.5)
        mails = fetch()
        if len(mails) != count:
            count, still_since = len(mails), time.monotonic()
    return mails
