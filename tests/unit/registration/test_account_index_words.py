"""An account's sort key and searched words, built word by word (each distinct word once), are
exactly what ``shared.names`` gives for the whole text: names as people write them, spacing and
punctuation of every kind, letters with marks Vietnamese does not use, marks left alone, and
thousands of random mixtures of them, composed and decomposed."""

from __future__ import annotations

import random
import unicodedata

import pytest

from services.registration.service.account_index import name_key, search_text
from shared.names import fold, sort_key

NAMES = [
    "Hợp tác xã Ong mật Đông Hà",
    "  Nguyễn  Văn   Đức ",
    "ÁNH ánh Anh",
    "Công ty TNHH 1 thành viên",
    "A - B",
    "- A",
    "A -",
    "",
    " ",
    "!!! ??",
    "O'Brien & Co.",
    "Ça va ñ",
    "Ω λ",
    "Quảng Trị\tĐông\u00a0Hà",
    "a \u0301b",
    "\u0301",
    "x \u0301 y",
    "e\u0301",
]
_LETTERS = list("aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ0123456789 -.'&\t\u00a0çñáễỢ")
_MARKS = ["\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]


def _random_names(count: int) -> list[str]:
    rng = random.Random(20)
    pool = _LETTERS + _MARKS
    return ["".join(rng.choice(pool) for _ in range(rng.randint(0, 20))) for _ in range(count)]


@pytest.mark.parametrize("form", ["NFC", "NFD"])
def test_word_by_word_is_the_whole_texts(form: str) -> None:
    for name in NAMES + _random_names(3000):
        text = unicodedata.normalize(form, name)
        assert name_key(text) == sort_key(text), repr(text)
        email = "htx.ong-mat@example.vn"
        whole = (text, email, "htx ong mat example vn")
        expected = "".join(f" {w}" for part in whole for w in fold(part).split())
        assert search_text(text, email) == expected, repr(text)
