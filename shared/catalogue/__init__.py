"""The words people read, one catalogue per language: ``shared/catalogue/<lang>/*.json``.

Pages, emails, the case-file report, the PDFs and the APIs' error details all take their words
from here, so a status, a ground or a refusal reads the same everywhere. A language's catalogue
is the union of its files (one file per area: the portal's pages, emails, errors, ...); a key
may appear in one file only. The tests check that both languages carry the same keys with the
same ``{placeholders}``.

A key missing in English falls back to Vietnamese, then to the key itself, so a page never
breaks on a missing word; the contract tests make sure none is missing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LANGUAGES = ("vi", "en")
DEFAULT = "vi"
DIRECTORY = Path(__file__).parent


class CatalogueError(ValueError):
    """A catalogue file is malformed or repeats a key another file of its language holds."""


@cache
def messages(lang: str) -> dict[str, str]:
    """Every message of ``lang``, from all of its files."""
    merged: dict[str, str] = {}
    origin: dict[str, str] = {}
    for path in sorted((DIRECTORY / lang).glob("*.json")):
        for key, text in json.loads(path.read_text(encoding="utf-8")).items():
            if key in merged:
                raise CatalogueError(f"{lang}: {key} is in both {origin[key]} and {path.name}")
            merged[key] = text
            origin[key] = path.name
    return merged


def has(key: str, lang: str = DEFAULT) -> bool:
    return key in messages(lang)


def translate(key: str, lang: str = DEFAULT, **values: Any) -> str:
    """The message ``key`` in ``lang``, ``{name}`` filled in from ``values``."""
    text = messages(lang).get(key) or messages(DEFAULT).get(key) or key
    return text.format(**values) if values else text


def label(prefix: str, value: object, lang: str = DEFAULT) -> str:
    """The label of a code (``status.submitted``, ``ground.breach_of_law``); the code itself if
    the catalogue has none, and a dash for no value."""
    if value is None or value == "":
        return "—"
    key = f"{prefix}.{value}"
    text = translate(key, lang)
    return str(value) if text == key else text
