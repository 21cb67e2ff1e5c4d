"""The pages' words in the visitor's language: Vietnamese by default, English on request.

The words themselves are in the shared catalogue (``shared/catalogue``), which emails, the case
file and the PDFs use too; this module picks the language from the session.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import request, session

from services.portal.api_client import ApiError
from shared import catalogue as shared_catalogue
from shared import errors
from shared.catalogue import dates
from shared.rubrics import load_rubric

LANGUAGES = shared_catalogue.LANGUAGES
DEFAULT = shared_catalogue.DEFAULT
catalogue = shared_catalogue.messages


def current_language() -> str:
    """The language chosen with the switch (kept in the session), else Vietnamese."""
    lang = session.get("lang")
    return lang if lang in LANGUAGES else DEFAULT


def translate(key: str, lang: str | None = None, **values: Any) -> str:
    """The message ``key`` in ``lang`` (default: the current one), ``{name}`` filled in."""
    return shared_catalogue.translate(key, lang or current_language(), **values)


def label(prefix: str, value: object) -> str:
    """The label of a code (``status.submitted``, ``role.applicant``); the code if unknown."""
    return shared_catalogue.label(prefix, value, current_language())


def public_status(dossier: dict[str, Any]) -> str | None:
    """Where a case stands, in the current language: from the status rule's key and values
    when the API gives them (levels named in the catalogue), else its English line."""
    key = dossier.get("public_status_key")
    params = dossier.get("public_status_params")
    if not key or params is None:
        return dossier.get("public_status")
    values = {name: _status_value(name, value) for name, value in params.items()}
    text = translate(f"public_status.{key}", **values)
    return dossier.get("public_status") if text == f"public_status.{key}" else text


def _status_value(name: str, value: Any) -> Any:
    """A status rule's value as a page shows it: a level in words, a day as people write it."""
    if name in ("level", "to_level"):
        return label("level", value)
    if name.endswith("_on"):
        return dates.day(value, current_language())
    return value


def set_name(code: str | None) -> str:
    """A product set's name from the rubric catalogue, in the current language."""
    if not code:
        return "—"
    for product_set in load_rubric().catalog.sets:
        if product_set.set_code == code:
            name = product_set.name_en if current_language() == "en" else product_set.name
            return f"{code} · {name}"
    return code


def refusal(error: ApiError) -> str:
    """Why an API refused, in the current language (the catalogue's words for its code)."""
    return error.words(current_language())


def field_refusals(error: ApiError) -> dict[str, str]:
    """The refused call's field errors in the current language, by dotted path."""
    return error.field_words(current_language())


def error_words(code: str, **params: Any) -> str:
    """The catalogue's words for an error code the portal finds itself (a field left empty)."""
    return errors.message(code, params, current_language())


def field_label(name: str) -> str:
    """The label of a form field for the error summary (``representative.name`` and the like
    map to their catalogue entries; anything else shows its last part)."""
    for key in (
        f"field.{name.replace('.', '_')}",
        f"field.{name.replace('representative.', 'rep_')}",
    ):
        text = translate(key)
        if text != key:
            return text
    return name.rsplit(".", 1)[-1].replace("_", " ")


def pick_language() -> None:
    """Honour ``?lang=`` on any page (a shared link keeps its language)."""
    lang = request.args.get("lang")
    if lang in LANGUAGES:
        session["lang"] = lang


def language_url(lang: str) -> str:
    """This page in ``lang``, its query kept (a check result keeps its number)."""
    kept = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{request.path}?{urlencode([*kept, ('lang', lang)])}"
