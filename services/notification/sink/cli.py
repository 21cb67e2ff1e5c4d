"""What the ``ocop`` command line calls for the sink: run it, and list what it received."""

from __future__ import annotations

from pathlib import Path

from .server import serve_forever
from .store import MailStore

__all__ = ["list_messages", "serve_forever"]

_COLUMNS = (("Received (UTC)", 19), ("From", 28), ("To", 32), ("Subject", 48), ("Name", 0))


def list_messages(directory: Path | str) -> str:
    """The stored messages as a fixed-width table for a terminal, oldest first."""
    messages = MailStore(directory).list()
    if not messages:
        return f"No messages in {Path(directory)}."
    rows = [[title for title, _ in _COLUMNS]]
    for message in messages:
        rows.append(
            [
                message.received_at.strftime("%Y-%m-%d %H:%M:%S"),
                message.mail_from,
                ", ".join(message.rcpt_tos),
                message.subject,
                message.name,
            ]
        )
    return "\n".join(_format_row(row) for row in rows)


def _format_row(cells: list[str]) -> str:
    out = []
    for cell, (_, width) in zip(cells, _COLUMNS, strict=True):
        # The name column stays whole: it is what you pass on to fetch the message.
        out.append(_fit(cell, width) if width else cell)
    return "  ".join(out)


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())  # folded headers or tabs would break the columns
    if len(text) > width:
        text = text[: width - 1] + "…"
    return text.ljust(width)
