"""Names found and ordered as a Vietnamese reader expects (shared.names.fold and sort_key)."""

from __future__ import annotations

import random
import unicodedata

import pytest

from shared.names import fold, sort_key


def test_the_alphabet_with_its_own_letters() -> None:
    letters = list("aăâbcdđeêghiklmnoôơpqrstuưvxy")
    shuffled = random.Random(7).sample(letters, len(letters))
    assert sorted(shuffled, key=sort_key) == letters
    assert sorted([lt.upper() for lt in shuffled], key=sort_key) == [lt.upper() for lt in letters]


def test_tones_after_their_letter_in_dictionary_order() -> None:
    # ngang, huyền, hỏi, ngã, sắc, nặng; then the next letter.
    assert sorted(["ạ", "b", "á", "ã", "a", "ả", "à", "ă"], key=sort_key) == [
        "a", "à", "ả", "ã", "á", "ạ", "ă", "b",
    ]  # fmt: skip


def test_tones_weigh_less_than_letters() -> None:
    # A tone decides only between names with the same letters: Ánh before Anh Tuấn, after Anh.
    assert sorted(["Anh Tuấn", "Ánh", "Anh", "Ấn"], key=sort_key) == [
        "Anh",
        "Ánh",
        "Anh Tuấn",
        "Ấn",
    ]


def test_whole_names() -> None:
    names = ["Đỗ Minh", "Zô Em", "Dương An", "Ơn Hòa", "Ông Ba", "Nguyễn Văn Ấn", "Nguyễn Văn An"]
    assert sorted(names, key=sort_key) == [
        "Dương An", "Đỗ Minh", "Nguyễn Văn An", "Nguyễn Văn Ấn", "Ông Ba", "Ơn Hòa", "Zô Em",
    ]  # fmt: skip
    # A name before the longer names it begins, whatever the case.
    assert sorted(["lan anh", "Lan", "LAN"], key=sort_key) == ["Lan", "LAN", "lan anh"]


def test_composed_or_decomposed_alike() -> None:
    name = "Nguyễn Thị Ánh Tuyết"
    assert sort_key(unicodedata.normalize("NFD", name)) == sort_key(name)
    assert fold(unicodedata.normalize("NFD", name)) == fold(name)


def test_the_key_orders_under_any_collation() -> None:
    assert set(sort_key("Đặng Văn Bình — 2026 · 中文")) <= set("0123456789abcdef")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Nguyễn Văn An", "nguyen van an"),
        ("ĐẶNG  Thị\tĐào", "dang thi dao"),
        ("Ông Bảy ơi ư", "ong bay oi u"),
        ("Thành phố Đông Hà", "thanh pho dong ha"),
    ],
)
def test_folded_for_search(text: str, folded: str) -> None:
    assert fold(text) == folded
