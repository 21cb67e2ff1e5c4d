"""One page of a short list that is read whole (a council's seats, an evaluation's sheets, a
case's certificates): paged like every other list (``limit``, ``after`` = the ``next`` of the
previous page) so that no list answer is unbounded, while the query stays the one it was.

The cursor is the key of the last item given; a cursor no longer in the list (its item went
away between two pages) ends the list rather than starting it over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
K = TypeVar("K")

#: The default page of these lists holds all of them today; the portal still follows ``next``.
BOUNDED_DEFAULT = 200
BOUNDED_MAX = 500


def page(
    items: Sequence[T], key: Callable[[T], K], *, limit: int, after: K | None
) -> tuple[list[T], K | None]:
    """The ``limit`` items after the one keyed ``after`` (from the first without it), and the
    cursor of the next page (None on the last)."""
    start = 0
    if after is not None:
        keys = [key(item) for item in items]
        start = keys.index(after) + 1 if after in keys else len(items)
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    return chunk, key(chunk[-1]) if more and chunk else None
