"""Field types of event payloads.

A payload is loaded into its wire form: ids, dates and times are checked and kept as the
canonical strings the wire carries, not turned into objects. So loading a payload is all its
validation costs: the producer does not dump what it validated, nor the consumer what it read
(a dump took about a third of writing an event). The class names are what the event catalogue
shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from marshmallow import fields
from marshmallow.types import ErrorMessages


class StrMap(fields.Dict):
    """A JSON object of strings to strings (answers by criterion code, say).

    Checked in one pass: ``fields.Dict(keys=Str(), values=Str())`` runs two fields per entry,
    which made the self-assessment of a 30-criterion sheet the dearest part of reading a
    ``dossier.accepted``.
    """

    # marshmallow reads this class attribute but declares it without ClassVar: kept its way.
    default_error_messages: ErrorMessages = {  # noqa: RUF012
        "invalid": "Not a mapping of strings to strings."
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict:
        if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise self.make_error("invalid")
        return dict(value)

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return None if value is None else dict(value)


# The three fields below check a value as marshmallow's field does but keep its wire form (the
# module's docstring): marshmallow types a field by its object form, hence their ignores.
class UUID(fields.UUID):
    """A UUID in its canonical string form."""

    def _deserialize(  # type: ignore[override]  # wire form: a UUID's text, not a UUID
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        return str(self._validated(value))


class Date(fields.Date):
    """An ISO-8601 date, as a string."""

    def _deserialize(  # type: ignore[override]  # wire form: a date's text, not a date
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        parsed: date = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat()


class AwareDateTime(fields.AwareDateTime):
    """An ISO-8601 time with its offset, as a string."""

    def _deserialize(  # type: ignore[override]  # wire form: a time's text, not a datetime
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str:
        parsed: datetime = super()._deserialize(value, attr, data, **kwargs)
        return parsed.isoformat()
