"""Domain errors: what a use case refuses, as a stable code and its parameters, free of Flask.

A use case raises ``Forbidden("dossier.not_handler")`` or
``Refused("dossier.not_editable", status="recognised")``; the web layer (``shared.web``) turns
it into problem+json with ``code`` and ``params`` beside ``title`` and an English ``detail``,
and the portal shows the catalogue's message for the code in the reader's language. The words
are in ``shared/catalogue/<lang>/errors.json`` under ``error.<code>``; a contract test fails
when a code raised anywhere lacks either language.

A parameter named like a catalogue area whose value has a label there (``level``, ``status``,
``role``, ...) is shown by its label: ``{level}`` reads "cấp tỉnh", not "province".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar

from shared import catalogue
from shared.catalogue import dates

# A field's error: its code, or its code and the values its message names; or the errors of
# the fields within it (``{"answers": {"1.1": "answer.missing"}}``).
FieldError = str | tuple[str, Mapping[str, Any]] | Mapping[str, Any]


def _plain(params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}


class DomainError(Exception):
    """A refusal with a stable ``code`` (``area.reason``) and the values its message names."""

    status: ClassVar[int] = 409
    slug: ClassVar[str] = "conflict"
    title: ClassVar[str] = "Conflict"

    def __init__(
        self, code: str, /, *, errors: Mapping[str, FieldError] | None = None, **params: Any
    ) -> None:
        super().__init__(code)
        self.code = code
        # Days travel as ISO text (JSON has no dates); the reader's message writes them locally.
        self.params = _plain(params)
        # The fields concerned as given (nested like a schema's errors: a sheet's answers under
        # "answers"), and flat by dotted path: each field's code and the values its words name.
        self.fields: Mapping[str, Any] = errors or {}
        self.errors: dict[str, str] = {}
        self.field_params: dict[str, dict[str, Any]] = {}
        self._flatten(self.fields, "")

    def _flatten(self, errors: Mapping[str, Any], prefix: str) -> None:
        for name, error in errors.items():
            path = f"{prefix}.{name}" if prefix else str(name)
            if isinstance(error, Mapping):
                self._flatten(error, path)
            elif isinstance(error, str):
                self.errors[path] = error
            else:
                self.errors[path], values = error[0], _plain(error[1])
                if values:
                    self.field_params[path] = values

    def message(self, lang: str = "en") -> str:
        return message(self.code, self.params, lang)

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


class NotFound(DomainError):
    """No such thing, or one outside the caller's reach: its existence is not disclosed."""

    status, slug, title = 404, "not-found", "Not found"


class Unauthorized(DomainError):
    """Who the caller is could not be established (wrong credentials)."""

    status, slug, title = 401, "unauthorized", "Unauthorized"


class TooLarge(DomainError):
    """What was sent is larger than a rule allows (an upload)."""

    status, slug, title = 413, "payload-too-large", "Payload Too Large"


class UnsupportedType(DomainError):
    """What was sent is of a type not accepted (an upload's content)."""

    status, slug, title = 415, "unsupported-media-type", "Unsupported Media Type"


class Forbidden(DomainError):
    """The caller may not do this (a participant without the right)."""

    status, slug, title = 403, "forbidden", "Forbidden"


class Conflict(DomainError):
    """The request collides with what exists (a duplicate, a stale copy, a taken seat)."""

    status, slug, title = 409, "conflict", "Conflict"


class Refused(DomainError):
    """The case's state does not allow this step now."""

    status, slug, title = 409, "transition-not-allowed", "Transition not allowed"


class Invalid(DomainError):
    """Input a rule of the domain rejects, field by field: ``errors`` maps a field to the code
    of what is wrong with it (``{"ground": "revocation.unknown_ground"}``), or to the code and
    its parameters (``{"found_on": ("date.after_today", {"today": "2026-12-06"})}``)."""

    status, slug, title = 422, "validation-error", "Invalid request"

    def __init__(
        self,
        code: str = "request.invalid",
        /,
        *,
        errors: Mapping[str, FieldError] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code, errors=errors, **params)


# What a reader sees for a code the catalogue lacks (an error of a newer or older service):
# a general sentence in their language, never the service's English.
UNKNOWN = "unknown"


def message(code: str | None, params: Mapping[str, Any] | None, lang: str) -> str:
    """The catalogue's message for an error code, its labelled parameters filled in; the
    general message for a code the catalogue lacks or parameters its message needs missing."""
    if not code or not catalogue.has(f"error.{code}", lang):
        return catalogue.translate(f"error.{UNKNOWN}", lang)
    values = {name: _shown(name, value, lang) for name, value in (params or {}).items()}
    try:
        return catalogue.translate(f"error.{code}", lang).format(**values)
    except (KeyError, IndexError, ValueError):
        return catalogue.translate(f"error.{UNKNOWN}", lang)


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shown(name: str, value: Any, lang: str) -> Any:
    """A parameter as its reader sees it: a code by its label, a day as people write it there."""
    if isinstance(value, str | int) and catalogue.has(f"{name}.{value}", lang):
        return catalogue.label(name, value, lang)
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DAY.fullmatch(value)):
        try:
            return dates.day(value, lang)
        except ValueError:  # shaped like a day, but none (a hostile "2026-99-99" echoed back)
            return value
    if isinstance(value, list | tuple):
        return ", ".join(str(_shown(name, item, lang)) for item in value)
    return value
