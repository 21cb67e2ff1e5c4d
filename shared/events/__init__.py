"""The event envelope, one marshmallow schema per event type, and the catalogue built from them."""

from shared.events.envelope import Actor, Event, EventError, load_event, new_event
from shared.events.registry import EVENT_TYPES, EventType

__all__ = ["EVENT_TYPES", "Actor", "Event", "EventError", "EventType", "load_event", "new_event"]
