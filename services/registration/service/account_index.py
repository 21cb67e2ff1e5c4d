"""What an account's row keeps to be found and ordered in the administrators' list: its name's
Vietnamese sort key and the folded words a search looks in (name, email whole and in its parts),
kept in step by a mapper hook (``models``) wherever an account is written, and by migration 0015
for the rows before it.

Both are built word by word, each distinct word computed once (an import writes thousands of
owners whose names share most of their words: "Hợp tác xã", "Công ty TNHH"); the result is the
same as ``shared.names`` gives for the whole text (tested)."""

from __future__ import annotations

import functools
import re
import unicodedata

from shared.names import _END, _SPACE_WEIGHT, _WIDTH, fold, sort_key

# Between two words of a key: the space's letter unit, and its tone and case (none).
_SPACE_UNIT = f"{_SPACE_WEIGHT:0{_WIDTH}x}"


def search_text(display_name: str, email: str) -> str:
    """The folded words of the name and the email, each after a space: a search asks for words
    beginning one of them (``" an"`` finds "An" and "Ánh", not "Thanh")."""
    email_parts = " ".join(re.split(r"[@._+-]+", email))
    parts = (display_name, email, email_parts)
    # Folding keeps words apart and makes none: the text's folded words are its words', folded.
    return "".join(f" {word}" for part in parts for w in part.split() for word in _folded(w))


def name_key(display_name: str) -> str:
    """``shared.names.sort_key`` of the name, from the keys of its words."""
    words = display_name.split()
    if any(unicodedata.category(w[0]) == "Mn" for w in words):
        # A mark after a space belongs to the space in the whole text's key: no word's own.
        return sort_key(display_name)
    # A key is the letters of all its words (a space unit between two), then their tones,
    # then their cases (one unit each for a space); a word of punctuation alone has none.
    keyed = [k for k in map(_word_key, words) if k[0]]
    return (
        _SPACE_UNIT.join(k[0] for k in keyed)
        + _END
        + "0".join(k[1] for k in keyed)
        + "0".join(k[2] for k in keyed)
    )


@functools.lru_cache(maxsize=8192)
def _folded(word: str) -> list[str]:
    return fold(word).split()


@functools.lru_cache(maxsize=8192)
def _word_key(word: str) -> tuple[str, str, str]:
    """A word's key in its three parts: letters (``_WIDTH`` digits each), tones, cases."""
    key = sort_key(word)
    units = (len(key) - len(_END)) // (_WIDTH + 2)
    letters = units * _WIDTH
    tones = letters + len(_END)
    return key[:letters], key[tones : tones + units], key[tones + units :]
