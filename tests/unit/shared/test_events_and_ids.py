"""The event envelope, payload validation, version upgrades, and time-ordered ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields

from shared.events import EVENT_TYPES, Actor, Event, EventError, load_event, new_event, types
from shared.events.envelope import _ENVELOPE
from shared.events.registry import EventType
from shared.events.types import StrMap
from shared.ids import new_id


def _account_event():
    return new_event(
        "account.created",
        {
            "account_id": uuid.uuid4(),
            "email": "a@example.vn",
            "display_name": "A",
            "language": "vi",
            "roles": ["applicant"],
            "unit": None,
        },
        producer="registration",
        actor=Actor(None, "applicant"),
    )


def test_round_trip_through_json() -> None:
    event = _account_event()
    data = event.to_dict()
    assert set(data) == {
        "event_id",
        "type",
        "version",
        "occurred_at",
        "producer",
        "dossier_id",
        "actor",
        "correlation_id",
        "payload",
    }
    again = load_event(data)
    assert again.event_id == event.event_id
    assert again.payload == event.payload


@settings(max_examples=200, deadline=None)
@given(
    dossier_id=st.none() | st.uuids(),
    correlation_id=st.none() | st.text(max_size=40),
    user_id=st.none() | st.text(max_size=40),
    role=st.none() | st.text(max_size=20),
    occurred_at=st.datetimes(timezones=st.timezones() | st.just(UTC)),
    payload=st.dictionaries(st.text(max_size=10), st.text(max_size=10) | st.integers()),
)
def test_an_envelope_is_written_as_its_schema_dumps_it(
    dossier_id, correlation_id, user_id, role, occurred_at, payload
) -> None:
    event = Event(
        event_id=new_id(),
        type="account.created",
        version=1,
        occurred_at=occurred_at,
        producer="registration",
        actor=Actor(user_id, role),
        payload=payload,
        dossier_id=dossier_id,
        correlation_id=correlation_id,
    )
    assert event.to_dict() == _ENVELOPE.dump(event)


def test_producer_side_refuses_a_bad_payload() -> None:
    with pytest.raises(EventError) as info:
        new_event(
            "account.created", {"email": "nope"}, producer="registration", actor=Actor(None, None)
        )
    assert "account_id" in info.value.errors
    with pytest.raises(EventError):
        new_event("no.such.event", {}, producer="registration", actor=Actor(None, None))


def test_consumer_tolerates_added_fields_and_refuses_missing_ones() -> None:
    data = _account_event().to_dict()
    data["payload"]["added_by_a_newer_producer"] = 1
    assert "added_by_a_newer_producer" not in load_event(data).payload
    del data["payload"]["email"]
    with pytest.raises(EventError):
        load_event(data)


def test_older_versions_are_upgraded() -> None:
    class V2(Schema):
        name = fields.Str(required=True)
        language = fields.Str(required=True)

    spec = EventType(
        "test.thing", 2, V2, "registration", "test", {1: lambda p: {**p, "language": "vi"}}
    )
    assert spec.upgrade(1, {"name": "x"}) == {"name": "x", "language": "vi"}
    with pytest.raises(KeyError):
        EventType("test.thing", 3, V2, "registration", "test", {}).upgrade(1, {})


def test_every_event_type_has_a_described_schema() -> None:
    for spec in EVENT_TYPES.values():
        assert spec.description and spec.schema().fields


def test_ids_are_uuid7_and_time_ordered() -> None:
    ids = [new_id() for _ in range(1000)]
    assert all(i.version == 7 for i in ids)
    assert len(set(ids)) == 1000
    # Millisecond prefix never goes backwards.
    prefixes = [i.int >> 80 for i in ids]
    assert prefixes == sorted(prefixes)


@pytest.mark.parametrize(
    "value",
    [{"1.1": "A"}, {}],
)
def test_a_string_map_keeps_what_it_is_given(value: dict) -> None:
    class Answers(Schema):
        answers = StrMap(required=True)

    schema = Answers()
    assert schema.dump(schema.load({"answers": value})) == {"answers": value}


@pytest.mark.parametrize(
    "value",
    [["1.1", "A"], {"1.1": 3}, {"1.1": None}, "A", None],
)
def test_a_string_map_refuses_anything_but_strings_to_strings(value: object) -> None:
    class Answers(Schema):
        answers = StrMap(required=True)

    with pytest.raises(ValidationError) as info:
        Answers().load({"answers": value})
    assert "answers" in info.value.messages


def test_a_consumer_gets_the_payload_as_the_producer_wrote_it() -> None:
    data = _account_event().to_dict()
    written = dict(data["payload"])
    data["payload"]["added_by_a_newer_producer"] = 1
    assert load_event(data).payload == written  # what it does not know is dropped
    del data["payload"]["councils"]  # an older producer, before the field had a default
    assert load_event(data).payload == written  # the default is filled in


def _schema(
    uuid_: type[fields.UUID], date_: type[fields.Date], at: type[fields.DateTime]
) -> Schema:
    fields_ = {"id": uuid_(allow_none=True), "on": date_(), "at": at(format="iso")}
    return Schema.from_dict({**fields_, "ids": fields.List(uuid_()), "count": fields.Int()})()


_WIRE = _schema(types.UUID, types.Date, types.AwareDateTime)
_OBJECTS = _schema(fields.UUID, fields.Date, fields.AwareDateTime)  # marshmallow's own: objects


@settings(max_examples=200, deadline=None)
@given(
    id=st.none() | st.uuids().map(str).map(str.upper) | st.uuids().map(str),
    on=st.dates().map(lambda d: d.isoformat()),
    at=st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    ids=st.lists(st.uuids().map(lambda u: u.hex)),
    count=st.integers().map(str),
)
def test_a_payload_loads_into_its_wire_form(**payload: object) -> None:
    # What marshmallow's own types would load and then dump: canonical strings and numbers,
    # so neither the producer nor the consumer has to dump it again.
    loaded = _WIRE.load(payload)
    assert loaded == _OBJECTS.dump(_OBJECTS.load(payload))
    assert _WIRE.load(loaded) == loaded


def _dossier_facts() -> dict[str, object]:
    return {
        "dossier_id": uuid.uuid4(),
        "version": 3,
        "from_status": "submitted",
        "to_status": "returned",
        "producer_id": uuid.uuid4(),
        "producer_name": "HTX Trà Tân Cương",
        "owner_account_id": uuid.uuid4(),
        "product_name": "Trà búp",
        "product_set_code": "01",
        "registration_type": "first",
        "rubric_version": "qd26-2026",
        "regime": "four-level",
        "unit_tree": "pre2025",
        "province_code": "19",
        "district_code": "164",
        "commune_code": "05500",
        "filed_on": date(2026, 11, 2),
    }


def test_a_nested_payload_reaches_the_consumer_as_written() -> None:
    returned = new_event(
        "dossier.returned",
        {
            **_dossier_facts(),
            "reason": "incomplete",
            "missing_items": [{"item": "form01", "note": "unsigned"}],
        },
        producer="registration",
        actor=Actor(None, "commune_officer"),
    )
    assert returned.payload["missing_items"] == [{"item": "form01", "note": "unsigned"}]
    assert returned.payload["filed_on"] == "2026-11-02"  # the wire form, as the producer wrote
    assert load_event(returned.to_dict()).payload == returned.payload
