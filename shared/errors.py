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

from typing import Any, ClassVar

from shared import catalogue


class DomainError(Exception):
    """A refusal with a stable ``code`` (``area.reason``) and the values its message names."""

    status: ClassVar[int] = 409
    slug: ClassVar[str] = "conflict"
    title: ClassVar[str] = "Conflict"

    def __init__(self, code: str, /, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def message(self, lang: str = "en") -> str:
        return message(self.code, self.params, lang)

    def __str__(self) -> str:
        return f"{self.code}: {self.message('en')}"


class NotFound(DomainError):
    """No such thing, or one outside the caller's reach: its existence is not disclosed."""

    status, slug, title = 404, "not-found", "Not found"


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
    of what is wrong with it (``{"ground": "revocation.unknown_ground"}``)."""

    status, slug, title = 422, "validation-error", "Invalid request"

    def __init__(
        self,
        code: str = "request.invalid",
        /,
        *,
        errors: dict[str, str] | None = None,
        **params: Any,
    ) -> None:
        super().__init__(code, **params)
        self.errors = errors or {}


def message(code: str, params: dict[str, Any], lang: str) -> str:
    """The catalogue's message for an error code, its labelled parameters filled in."""
    values = {name: _shown(name, value, lang) for name, value in params.items()}
    return catalogue.translate(f"error.{code}", lang, **values)


def _shown(name: str, value: Any, lang: str) -> Any:
    if isinstance(value, str | int) and catalogue.has(f"{name}.{value}", lang):
        return catalogue.label(name, value, lang)
    return value
