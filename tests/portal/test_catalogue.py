"""Both languages carry every message the pages use, and the choices the forms offer are the
codes the APIs accept (checked against the committed OpenAPI documents)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from services.portal import i18n, vocab

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "services" / "portal"
LABELS = {
    "status": "registration:DossierOut.status",
    "registration": "registration:DossierCreateIn.registration_type",
    "entity": "registration:ProducerIn.entity_type",
    "ground": "evaluation:RevocationIn.ground",
}


def _used_keys() -> set[str]:
    """Quoted ``area.name`` strings in the templates and views, minus endpoint names."""
    keys: set[str] = set()
    for path in [*PORTAL.rglob("*.html"), *PORTAL.rglob("*.py")]:
        # Endpoint names (url_for, and public_url: an absolute link) are not words.
        text = re.sub(r"(url_for|public_url)\([^)]*\)", "", path.read_text(encoding="utf-8"))
        keys.update(re.findall(r"""['"]([a-z_]+\.[a-z_0-9]+)['"]""", text))
    areas = {key.split(".")[0] for key in i18n.catalogue("vi")}
    # An error code (field.required) is worded under error.<code>, not a key of its own.
    errors = {k.removeprefix("error.") for k in i18n.catalogue("vi") if k.startswith("error.")}
    return {
        k
        for k in keys
        if k.split(".")[0] in areas and not k.endswith((".html", ".json")) and k not in errors
    }


def test_both_catalogues_have_the_same_keys() -> None:
    assert set(i18n.catalogue("vi")) == set(i18n.catalogue("en"))


def test_every_key_the_pages_use_is_in_the_catalogue() -> None:
    used = _used_keys()
    assert len(used) > 150
    assert sorted(used - set(i18n.catalogue("vi"))) == []


def test_placeholders_agree_between_languages() -> None:
    vi, en = i18n.catalogue("vi"), i18n.catalogue("en")
    for key, text in vi.items():
        assert set(re.findall(r"{(\w+)}", text)) == set(re.findall(r"{(\w+)}", en[key])), key


def _enum(spec: str) -> list[str]:
    service, path = spec.split(":")
    schema_name, field = path.split(".")
    doc = json.loads((ROOT / "docs" / "openapi" / f"{service}.json").read_text())
    prop = doc["components"]["schemas"][schema_name]["properties"][field]
    return prop.get("enum") or prop["items"]["enum"]


@pytest.mark.parametrize(
    ("codes", "spec"),
    [
        (vocab.REGISTRATION_TYPES, "registration:DossierCreateIn.registration_type"),
        (vocab.ENTITY_TYPES, "registration:ProducerIn.entity_type"),
        (vocab.REVOCATION_GROUNDS, "evaluation:RevocationIn.ground"),
        (vocab.PROPOSALS, "evaluation:CommuneReviewIn.proposal"),
    ],
)
def test_form_choices_match_the_api(codes: tuple[str, ...], spec: str) -> None:
    assert list(codes) == _enum(spec)


def test_document_kinds_match_the_upload_api() -> None:
    doc = json.loads((ROOT / "docs" / "openapi" / "registration.json").read_text())
    upload = doc["paths"]["/api/v1/dossiers/{dossier_id}/documents"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert list(vocab.DOCUMENT_KINDS) == form["properties"]["kind"]["enum"]


@pytest.mark.parametrize(("prefix", "spec"), sorted(LABELS.items()))
def test_every_api_code_has_a_label_in_both_languages(prefix: str, spec: str) -> None:
    for lang in i18n.LANGUAGES:
        missing = [c for c in _enum(spec) if f"{prefix}.{c}" not in i18n.catalogue(lang)]
        assert missing == [], (lang, prefix)
