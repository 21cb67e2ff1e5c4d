"""A directory of received messages: one ``.eml`` file per message plus a ``.json`` sidecar.

The ``.eml`` holds the DATA bytes exactly as received (after SMTP dot-unstuffing), so it can be
opened in any mail client or compared byte for byte in tests. The envelope sender and recipients
are not part of the message (Bcc recipients appear nowhere else), so they go in the sidecar.

File names are ``<UTC timestamp>-<counter>-<random>``: sorting them gives arrival order, and the
random part keeps two processes writing to the same directory from colliding. Both files are
written to a temporary name and renamed into place, sidecar first, so a reader listing ``*.eml``
never sees half a message nor a message without its envelope.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

_STAMP = "%Y%m%dT%H%M%S.%fZ"
_NAME = re.compile(r"(?P<stamp>\d{8}T\d{6}\.\d{6}Z)-\d{6,}-[0-9a-f]{8}")


class UnknownMessage(LookupError):
    """No stored message has this name (also raised for names that could never be ours)."""


@dataclass(frozen=True, slots=True)
class StoredMessage:
    """What the sink knows about one received message, without its body."""

    name: str
    received_at: datetime
    mail_from: str
    rcpt_tos: tuple[str, ...]
    subject: str
    message_id: str | None
    size: int

    @property
    def file_name(self) -> str:
        return f"{self.name}.eml"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "file_name": self.file_name,
            "received_at": self.received_at.isoformat(),
            "mail_from": self.mail_from,
            "rcpt_tos": list(self.rcpt_tos),
            "subject": self.subject,
            "message_id": self.message_id,
            "size": self.size,
        }


def parse_message(raw: bytes) -> EmailMessage:
    """Parse stored bytes with the modern API (decoded headers, ``get_body``)."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    assert isinstance(message, EmailMessage)  # guaranteed by policy.default
    return message


class MailStore:
    """Received messages kept as files in ``directory`` (created if missing)."""

    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def save(
        self,
        raw: bytes,
        mail_from: str,
        rcpt_tos: Sequence[str],
        received_at: datetime | None = None,
    ) -> StoredMessage:
        """Store one message and return its listing entry."""
        received_at = (received_at or datetime.now(UTC)).astimezone(UTC)
        with self._lock:
            # The counter orders messages received within the same microsecond.
            sequence = next(self._counter)
        name = f"{received_at.strftime(_STAMP)}-{sequence:06d}-{uuid.uuid4().hex[:8]}"
        envelope = {
            "received_at": received_at.isoformat(),
            "mail_from": mail_from,
            "rcpt_tos": list(rcpt_tos),
        }
        # Sidecar first: once the .eml is visible, its envelope must already be there.
        self._write_atomically(f"{name}.json", json.dumps(envelope, indent=2).encode())
        self._write_atomically(f"{name}.eml", raw)
        return self._describe(name, raw, envelope)

    def names(self) -> list[str]:
        """Names of the stored messages, in arrival order."""
        return sorted(
            path.stem for path in self.directory.glob("*.eml") if _NAME.fullmatch(path.stem)
        )

    def list(self) -> list[StoredMessage]:
        """Every stored message, in arrival order."""
        messages = []
        for name in self.names():
            try:
                raw = (self.directory / f"{name}.eml").read_bytes()
            except FileNotFoundError:  # cleared while we were listing
                continue
            messages.append(self._describe(name, raw, self._read_envelope(name)))
        return messages

    def get(self, name: str) -> bytes:
        """The raw bytes of one message; ``name`` may carry the ``.eml`` suffix."""
        name = name.removesuffix(".eml")
        # Only names of the store's own shape (digits, a dot, hex: no separator), so no path
        # can escape the directory; not looked up in a listing of the whole directory, which
        # made reading every message quadratic (thousands of messages took minutes).
        if not _NAME.fullmatch(name):
            raise UnknownMessage(name)
        try:
            return (self.directory / f"{name}.eml").read_bytes()
        except FileNotFoundError:
            raise UnknownMessage(name) from None

    def describe(self, name: str) -> StoredMessage:
        """The listing entry of one message."""
        raw = self.get(name)
        name = name.removesuffix(".eml")
        return self._describe(name, raw, self._read_envelope(name))

    def clear(self) -> None:
        """Delete every stored message (and nothing else in the directory)."""
        for name in self.names():
            # .eml first, so a concurrent reader never finds a message without its envelope.
            for suffix in (".eml", ".json"):
                (self.directory / f"{name}{suffix}").unlink(missing_ok=True)

    def _write_atomically(self, file_name: str, data: bytes) -> None:
        # The temporary name does not end in .eml, so listings ignore it. No fsync: the sink
        # guards readers against partial files, not the disk against power loss.
        fd, temporary = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, self.directory / file_name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read_envelope(self, name: str) -> dict[str, Any]:
        try:
            data = json.loads((self.directory / f"{name}.json").read_bytes())
        except (FileNotFoundError, ValueError):
            # Tolerate a lost or damaged sidecar: the message itself is still worth showing.
            return {}
        return data if isinstance(data, dict) else {}

    @staticmethod
    def _describe(name: str, raw: bytes, envelope: dict[str, Any]) -> StoredMessage:
        headers = BytesParser(policy=policy.default).parsebytes(raw, headersonly=True)
        match = _NAME.fullmatch(name)
        assert match is not None
        try:
            received_at = datetime.fromisoformat(envelope["received_at"])
        except (KeyError, TypeError, ValueError):
            received_at = datetime.strptime(match["stamp"], _STAMP).replace(tzinfo=UTC)
        message_id = headers.get("Message-ID")
        return StoredMessage(
            name=name,
            received_at=received_at,
            mail_from=str(envelope.get("mail_from", "")),
            rcpt_tos=tuple(str(address) for address in envelope.get("rcpt_tos", ())),
            subject=str(headers.get("Subject", "")),
            message_id=str(message_id).strip() if message_id is not None else None,
            size=len(raw),
        )
