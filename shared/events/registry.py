"""Registry of event types: name, current version, payload schema, upgraders from older versions.

Adding an event type: write its payload schema in ``schemas_<producer>.py`` and register it there
with ``register``; the catalogue (docs/events.md) is generated from this registry.
"""

from __future__ import annotations

import builtins
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from marshmallow import Schema

Upgrader = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class EventType:
    type: str
    version: int
    schema: builtins.type[Schema]  # builtins': ``type`` here is the field above
    producer: str
    description: str
    # upgraders[n] turns a version-n payload into version n+1.
    upgraders: dict[int, Upgrader] = field(default_factory=dict)

    def validator(self, only: frozenset[str] | None = None) -> Schema:
        """The payload schema, or the part of it with the fields ``only``, instantiated once
        (schemas keep no per-call state)."""
        return _schema_instance(self.schema, only)

    def upgrade(self, version: int, payload: dict[str, Any]) -> dict[str, Any]:
        if version > self.version:
            # A newer producer: its extra fields are ignored by the schema on load.
            return payload
        while version < self.version:
            step = self.upgraders.get(version)
            if step is None:
                raise KeyError(f"{self.type}: no upgrader from version {version}")
            payload = step(payload)
            version += 1
        return payload


@functools.cache
def _schema_instance(schema: type[Schema], only: frozenset[str] | None = None) -> Schema:
    return schema(only=only)


EVENT_TYPES: dict[str, EventType] = {}


def register(
    type: str,
    schema: type[Schema],
    *,
    producer: str,
    description: str,
    version: int = 1,
    upgraders: dict[int, Upgrader] | None = None,
) -> None:
    if type in EVENT_TYPES:
        raise ValueError(f"event type {type} registered twice")
    EVENT_TYPES[type] = EventType(type, version, schema, producer, description, upgraders or {})


def _load_all() -> None:
    # Imported for their registrations.
    from shared.events import (  # noqa: F401
        schemas_evaluation,
        schemas_notification,
        schemas_registration,
    )


_load_all()
