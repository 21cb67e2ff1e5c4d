"""A certificate import's problems in words: one home for the registration command and the
portal's page (the portal imports no service), so both name a column, a level and the facts
a conflicting number differs in the same way, in the reader's language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared import catalogue, errors


def header_words(key: str, lang: str) -> str:
    """A column's header in the template of ``lang``."""
    return catalogue.translate(f"import.column.{key}", lang)


def words(code: str | None, params: Mapping[str, Any] | None, lang: str) -> str:
    """A problem's words in ``lang`` from its code and parameters (as the API gives them):
    columns by their headers, levels by their names."""
    values = dict(params or {})
    if values.get("header"):
        values["header"] = header_words(values["header"], lang)
    if values.get("expected"):
        values["expected"] = catalogue.label("level", values["expected"], lang)
    if isinstance(values.get("fields"), list):
        values["fields"] = ", ".join(header_words(key, lang) for key in values["fields"]) or "—"
    return errors.message(code, values, lang)
