"""An email as the notification service sends it: ``multipart/alternative`` (plain text, then
HTML), UTF-8 headers, a Message-ID derived from (event, recipient), ``Auto-Submitted``."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP, Policy
from email.utils import format_datetime


@dataclass(frozen=True, slots=True)
class Rendered:
    """A message's text in the recipient's language, from the template catalogue."""

    subject: str
    text: str
    html: str


class _EncodedText:
    """An unstructured header (the subject) encoded and folded by ``email.header.Header``.

    Python 3.11's own folder loses the space between two words when it folds a non-ASCII
    subject between them (``vào Hội`` arrives as ``vàoHội``: whitespace between encoded words
    is not part of the text, RFC 2047 §6.2); this encoder splits inside encoded words instead.
    The policy folds any header object with a ``name`` through its ``fold``.
    """

    def __init__(self, name: str, value: str) -> None:
        self.name, self.value = name, value

    def fold(self, *, policy: Policy) -> str:
        if self.value.isascii():
            return policy.fold(self.name, self.value)
        encoded = Header(self.value, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"

    def __str__(self) -> str:
        return self.value


def message_id(event_id: uuid.UUID, account_id: uuid.UUID, domain: str) -> str:
    """The same for every attempt at one (event, recipient), so a retry after an ambiguous
    failure is recognisable as the same message by the receiving side."""
    digest = hashlib.sha256(f"{event_id}|{account_id}".encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def build(
    *,
    rendered: Rendered,
    sender: str,
    sender_name: str,
    to_email: str,
    to_name: str,
    message_id: str,
    date: datetime,
) -> EmailMessage:
    """The message, ready for ``smtplib`` (the SMTP policy encodes non-ASCII headers, RFC 2047)."""
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = Address(display_name=to_name, addr_spec=to_email)
    # A subject is one line; a newline from a template must not start a new header.
    message["Subject"] = _EncodedText("Subject", " ".join(rendered.subject.split()))  # type: ignore[assignment]
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # RFC 3834: an automatic message; well-behaved responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message
