"""What an account's row keeps to be found and ordered in the administrators' list: its name's
Vietnamese sort key and the folded words a search looks in (name, email whole and in its parts),
kept in step by a mapper hook (``models``) wherever an account is written, and by migration 0015
for the rows before it."""

from __future__ import annotations

import re

from shared.names import fold, sort_key


def search_text(display_name: str, email: str) -> str:
    """The folded words of the name and the email, each after a space: a search asks for words
    beginning one of them (``" an"`` finds "An" and "Ánh", not "Thanh")."""
    email_parts = " ".join(re.split(r"[@._+-]+", email))
    parts = (display_name, email, email_parts)
    return "".join(f" {word}" for part in parts for word in fold(part).split())


def name_key(display_name: str) -> str:
    return sort_key(display_name)
