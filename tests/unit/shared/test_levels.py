"""One name for the level above the province (ADR 0011): ``national`` is written everywhere,
the two-tier regime's former ``central`` is read as it in old events and requests."""

from __future__ import annotations

import uuid

import pytest

from shared.events import Actor, EventError, load_event, new_event
from shared.levels import LEVELS, level_name


def _membership(level: str) -> dict:
    event = new_event(
        "council.member_added",
        {
            "council_id": uuid.uuid4(),
            "council_name": "Hội đồng trung ương",
            "level": "national",
            "unit": "national",
            "account_id": uuid.uuid4(),
            "role": "chair",
        },
        producer="evaluation",
        actor=Actor(None, "secretariat"),
    ).to_dict()
    event["payload"]["level"] = level  # as an older producer published it
    return event


def test_an_old_event_naming_central_is_read_as_national() -> None:
    assert load_event(_membership("central")).payload["level"] == "national"
    only = frozenset({"level", "unit"})
    assert load_event(_membership("central"), only=only).payload["level"] == "national"
    assert load_event(_membership("national")).payload["level"] == "national"


def test_no_other_name_is_read_and_central_is_never_written() -> None:
    with pytest.raises(EventError):
        load_event(_membership("centre"))
    assert "central" not in LEVELS
    assert [level_name(level) for level in (*LEVELS, "central")] == [*LEVELS, "national"]
