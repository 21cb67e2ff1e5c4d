"""An email as the notification service sends it: ``multipart/alternative`` (plain text, then
HTML), UTF-8 headers, a Message-ID derived from (event, recipient), ``Auto-Submitted``.

``encode`` builds it with the email package's compat32 classes (``email.mime``), which take a
header as given: ``EmailMessage`` parses every header into a tree on assignment and refolds it
on output, ~2 ms a message against ~0.3 ms, as much as the SMTP exchange itself. An address
that is not ASCII (RFC 6532), or a name too long for one encoded word, takes the
``EmailMessage`` path, whose policy writes them.
``build`` gives the message as an ``EmailMessage`` (tests, tools).
"""

from __future__ import annotations

import email
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import SMTP, SMTPUTF8, Policy, compat32
from email.utils import format_datetime, formataddr

_WIRE = compat32.clone(linesep="\r\n")


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


def _one_line(value: str) -> str:
    # A header value is one line; a newline from a template or a name must not start a header.
    return " ".join(value.split())


def _checked_address(address: str) -> str:
    if not address or _one_line(address) != address or "<" in address or ">" in address:
        raise ValueError(f"invalid address {address!r}")
    return address


def _plain(value: str) -> bool:
    """ASCII, or short enough that ``formataddr`` writes it as one RFC 2047 encoded word
    (75 characters at most: 45 bytes of base64). Longer names take the ``EmailMessage`` path,
    which splits them into several words, as it writes non-ASCII addresses."""
    return value.isascii() or len(value.encode()) <= 45


def _subject(subject: str) -> str | Header:
    # email.header.Header, not the policy's folder: Python 3.11's loses the space between two
    # words where it folds a non-ASCII subject (RFC 2047 §6.2; see _EncodedText).
    return subject if subject.isascii() else Header(subject, "utf-8", header_name="Subject")


def encode(
    *,
    rendered: Rendered,
    sender: str,
    sender_name: str,
    to_email: str,
    to_name: str,
    message_id: str,
    date: datetime,
) -> bytes:
    """The message as it goes over SMTP: CRLF line ends, RFC 2047 headers.

    Raises ValueError for a value that cannot go into a header (an address the email package
    refuses, a newline in the Message-ID): the sender records a permanent failure rather than
    send something malformed."""
    if not message_id.isascii() or _one_line(message_id) != message_id:
        raise ValueError(f"invalid Message-ID {message_id!r}")
    sender, to_email = _checked_address(sender), _checked_address(to_email)
    subject = _one_line(rendered.subject)
    sender_name, to_name = _one_line(sender_name), _one_line(to_name)
    if not (sender.isascii() and to_email.isascii() and _plain(sender_name) and _plain(to_name)):
        legacy = _email_message(rendered, sender, sender_name, to_email, to_name, subject)
        _set_common(legacy, message_id, date)
        return legacy.as_bytes(policy=SMTPUTF8 if not to_email.isascii() else SMTP)
    message = MIMEMultipart("alternative")
    message["From"] = formataddr((sender_name, sender), charset="utf-8")
    message["To"] = formataddr((to_name, to_email), charset="utf-8")
    # typeshed types the MIME classes' header values as text only; their compat32 policy takes
    # an email.header.Header too (and folds it itself).
    message["Subject"] = _subject(subject)  # type: ignore[assignment]
    _set_common(message, message_id, date)
    message.attach(MIMEText(rendered.text, "plain", "utf-8"))
    message.attach(MIMEText(rendered.html, "html", "utf-8"))
    return message.as_bytes(policy=_WIRE)


def _set_common(message: email.message.Message, message_id: str, date: datetime) -> None:
    message["Date"] = format_datetime(date)
    message["Message-ID"] = message_id
    # RFC 3834: an automatic message; well-behaved responders do not answer it.
    message["Auto-Submitted"] = "auto-generated"


def _email_message(
    rendered: Rendered, sender: str, sender_name: str, to_email: str, to_name: str, subject: str
) -> EmailMessage:
    message = EmailMessage(policy=SMTPUTF8)
    message["From"] = Address(display_name=sender_name, addr_spec=sender)
    message["To"] = Address(display_name=to_name, addr_spec=to_email)
    message["Subject"] = _EncodedText("Subject", subject)
    message.set_content(rendered.text, charset="utf-8")
    message.add_alternative(rendered.html, subtype="html", charset="utf-8")
    return message


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
    """The message ``encode`` writes, as an ``EmailMessage`` (for reading it, not for sending)."""
    raw = encode(
        rendered=rendered,
        sender=sender,
        sender_name=sender_name,
        to_email=to_email,
        to_name=to_name,
        message_id=message_id,
        date=date,
    )
    message = email.message_from_bytes(raw, policy=SMTP)
    assert isinstance(message, EmailMessage)
    return message
