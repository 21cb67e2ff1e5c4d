"""Field types of event payloads that marshmallow has no cheap form of."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import fields


class StrMap(fields.Dict):
    """A JSON object of strings to strings (answers by criterion code, say).

    Checked in one pass: ``fields.Dict(keys=Str(), values=Str())`` runs two fields per entry,
    which made the self-assessment of a 30-criterion sheet the dearest part of reading a
    ``dossier.accepted``.
    """

    default_error_messages: ClassVar[dict[str, str]] = {
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
