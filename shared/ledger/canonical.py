"""Canonical JSON: one byte sequence per value, so a hash over it means the same everywhere.

Keys sorted, no insignificant whitespace, UTF-8 without escaping non-ASCII, no NaN or
infinities. Canonical text never contains a raw newline (JSON escapes it in strings), so a file
of entries can hold one per line.
"""

from __future__ import annotations

import json
from typing import Any


def canonical(value: Any) -> bytes:
    """The canonical UTF-8 bytes of a JSON value."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")
