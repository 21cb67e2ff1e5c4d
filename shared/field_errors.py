"""Codes for the field errors of a schema (marshmallow, through webargs): ``field.required``,
``field.too_long`` with ``{"max": 200}``, ``field.choice`` with its choices, ...

marshmallow words its errors in English only and says nothing else about them; the code and
its values are read back from the message by the very templates marshmallow formatted it
with (its fields' ``default_error_messages`` and its validators' messages), so the words
readers see come from the catalogue (``error.field.*``) in their language. A message no
template matches (a validator of this project with its own words) is ``field.invalid``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

from marshmallow import Schema, fields, validate
from marshmallow.types import ErrorMessages

from shared.names import PrintableName

GENERIC = "field.invalid"


def _text(messages: ErrorMessages, key: str) -> str:
    """One of marshmallow's default messages: typed as text or nested lists and dicts (a field's
    errors may nest), its defaults are all text."""
    message = messages[key]
    assert isinstance(message, str), f"marshmallow's {key!r} message is not text: {message!r}"
    return message


def _templates() -> Iterator[tuple[str, str]]:
    """(marshmallow's template, our code), most specific first."""
    field = fields.Field.default_error_messages
    yield _text(field, "required"), "field.required"
    yield _text(field, "null"), "field.required"
    yield validate.Length.message_all, "field.length"
    yield validate.Length.message_equal, "field.length_exact"
    yield validate.Length.message_min, "field.too_short"
    yield validate.Length.message_max, "field.too_long"
    yield validate.OneOf.default_message, "field.choice"
    yield _text(fields.Enum.default_error_messages, "unknown"), "field.choice"
    yield validate.ContainsOnly.default_message, "field.choice"
    yield validate.Email.default_message, "field.email"
    yield _text(fields.Email.default_error_messages, "invalid"), "field.email"
    yield validate.Regexp.default_message, "field.pattern"
    yield validate.URL.default_message, "field.url"
    yield from _ranges()
    for name in ("Integer", "Number", "Float", "Decimal"):
        for key in ("invalid", "too_large", "special"):
            message = getattr(fields, name).default_error_messages.get(key)
            if message:
                yield message, "field.number"
    yield _text(fields.Date.default_error_messages, "invalid"), "field.date"
    for kind in ("date", "datetime", "time"):
        template = _text(fields.DateTime.default_error_messages, "invalid")
        yield template.format(obj_type=kind), "field.date"
    yield _text(fields.UUID.default_error_messages, "invalid_uuid"), "field.identifier"
    yield _text(fields.Boolean.default_error_messages, "invalid"), "field.boolean"
    yield _text(fields.String.default_error_messages, "invalid"), "field.text"
    yield _text(fields.String.default_error_messages, "invalid_utf8"), "field.text"
    for container in (fields.List, fields.Dict, fields.Tuple, fields.Nested):
        for key in container.default_error_messages:
            yield _text(container.default_error_messages, key), "field.type"
    yield Schema._default_error_messages["type"], "field.type"
    yield Schema._default_error_messages["unknown"], "field.unknown"
    yield PrintableName.error, "field.printable"


def _ranges() -> Iterator[tuple[str, str]]:
    r = validate.Range
    for low in (r.message_gte, r.message_gt):
        for high in (r.message_lte, r.message_lt):
            yield r.message_all.format(min_op=low, max_op=high), "field.range"
    yield r.message_min.format(min_op=r.message_gte), "field.at_least"
    yield r.message_min.format(min_op=r.message_gt), "field.above"
    yield r.message_max.format(max_op=r.message_lte), "field.at_most"
    yield r.message_max.format(max_op=r.message_lt), "field.below"


_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^}]*)?\}")


def _regex(template: str) -> re.Pattern[str]:
    parts, end = [], 0
    for match in _PLACEHOLDER.finditer(template):
        parts.append(re.escape(template[end : match.start()]))
        parts.append(f"(?P<{match.group(1)}>.+?)")
        end = match.end()
    parts.append(re.escape(template[end:]))
    return re.compile("".join(parts) + r"\Z", re.DOTALL)


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    return tuple((_regex(template), code) for template, code in _templates())


# Values a reader's message may name; anything else a template captures (the input itself,
# a character's code point) stays out of the answer.
_PARAMS = frozenset({"min", "max", "equal", "choices"})


def code_of(message: str) -> tuple[str, dict[str, Any]]:
    """The code of one marshmallow message, and the values its words name."""
    for pattern, code in _patterns():
        found = pattern.match(message)
        if found:
            params = {k: _number(v) for k, v in found.groupdict().items() if k in _PARAMS}
            return code, params
    return GENERIC, {}


def _number(text: str) -> Any:
    try:
        return int(text)
    except ValueError:
        return text


def codes(errors: Any) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """``field_codes`` and ``field_params`` of marshmallow's nested errors, by dotted path
    (``representative.name``, ``members.0.role``), the first message of a field deciding."""
    found: dict[str, str] = {}
    values: dict[str, dict[str, Any]] = {}
    for path, message in _leaves(errors, ""):
        if path in found:
            continue
        found[path], params = code_of(message)
        if params:
            values[path] = params
    return found, values


def _leaves(errors: Any, prefix: str) -> Iterator[tuple[str, str]]:
    if isinstance(errors, dict):
        for key, value in errors.items():
            yield from _leaves(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        for message in errors:
            yield prefix or "_schema", message
    elif isinstance(errors, list):
        for index, value in enumerate(errors):
            yield from _leaves(value, f"{prefix}.{index}")
    else:
        yield prefix or "_schema", str(errors)
