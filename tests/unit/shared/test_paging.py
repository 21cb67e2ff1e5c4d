"""shared.paging: a short list read whole, given a page at a time."""

from __future__ import annotations

from shared.paging import page

ITEMS = ["a", "b", "c", "d", "e"]


def _key(item: str) -> str:
    return item


def test_pages_follow_one_another_to_the_last() -> None:
    seen, after = [], None
    for _ in range(3):
        chunk, after = page(ITEMS, _key, limit=2, after=after)
        seen += chunk
    assert (seen, after) == (ITEMS, None)


def test_one_page_holds_a_list_no_longer_than_the_limit() -> None:
    assert page(ITEMS, _key, limit=5, after=None) == (ITEMS, None)
    assert page([], _key, limit=5, after=None) == ([], None)
    assert page(ITEMS, _key, limit=4, after=None) == (ITEMS[:4], "d")


def test_a_cursor_no_longer_in_the_list_ends_it() -> None:
    assert page(ITEMS, _key, limit=2, after="zz") == ([], None)
    assert page(ITEMS, _key, limit=2, after="e") == ([], None)
