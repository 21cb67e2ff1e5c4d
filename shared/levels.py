"""The levels of the programme's process, one name each.

The level above the province is ``national`` in both regimes (cấp trung ương: Decision
148/QĐ-TTg's national council, Decision 26/2026's central council; ADR 0011). The two-tier
regime once called it ``central``: that name is still *read*, in stored rows migrated before it
went and in old events (the case file keeps them as they were published), and turned into
``national`` where it comes in (:func:`level_name`, :class:`Level`). Nothing writes it.
"""

from __future__ import annotations

from typing import Any

from marshmallow import fields, validate

NATIONAL = "national"
LEVELS = ("commune", "district", "province", NATIONAL)
#: Former names, read as the level they stand for (never written).
ALIASES = {"central": NATIONAL}


def level_name(value: str) -> str:
    """The one name of a level given any name it has had."""
    return ALIASES.get(value, value)


class Level(fields.Str):
    """A level, validated against :data:`LEVELS`, reading a former name as its current one."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.OneOf(LEVELS))
        metadata = kwargs.setdefault("metadata", {})
        metadata.setdefault(
            "description", "a level; 'central' (its former two-tier name) is read as 'national'"
        )
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return level_name(super()._deserialize(value, attr, data, **kwargs))
