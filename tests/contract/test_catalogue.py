"""The shared catalogue (``shared/catalogue/<lang>/*.json``) is one catalogue per language: both
languages have the same files, the same keys in each and the same ``{placeholders}``; no key is
in two files; and every code the emails and the case file name has its words (each event type,
outcome, ground, refusal reason, deadline, seat and document kind), so no reader meets a code."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from services.evaluation.domain.revocation import RevocationGround
from services.portal import vocab
from services.registration.ledger.schemas import KINDS as LEDGER_KINDS
from shared import catalogue
from shared.events import EVENT_TYPES
from shared.events.schemas_evaluation import CouncilMembership, DeadlineEvent, Decided
from shared.levels import LEVELS

ROOT = Path(__file__).resolve().parents[2]
EMAILS = ROOT / "services" / "notification" / "adapters" / "templates"
CASE_FILE = ROOT / "services" / "registration" / "ledger"
PLACEHOLDER = re.compile(r"{(\w*)}")


def _files(lang: str) -> dict[str, dict[str, Any]]:
    return {
        path.name: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted((catalogue.DIRECTORY / lang).glob("*.json"))
    }


def _choices(schema: Any, field: str) -> list[str]:
    return list(schema().fields[field].validate.choices)


def test_both_languages_have_the_same_files_and_keys_in_each() -> None:
    vi, en = _files("vi"), _files("en")
    assert sorted(vi) == sorted(en)
    for name in vi:
        assert sorted(set(vi[name]) ^ set(en[name])) == [], name


def test_placeholders_agree_between_languages() -> None:
    vi, en = catalogue.messages("vi"), catalogue.messages("en")
    wrong = [
        key
        for key, text in vi.items()
        if set(PLACEHOLDER.findall(text)) != set(PLACEHOLDER.findall(en[key]))
    ]
    assert wrong == []


@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_no_key_is_in_two_files(lang: str) -> None:
    seen: dict[str, str] = {}
    twice = []
    for name, words in _files(lang).items():
        for key, text in words.items():
            assert isinstance(text, str) and text.strip(), f"{name}: {key} has no words"
            if key in seen:
                twice.append(f"{key}: {seen[key]} and {name}")
            seen[key] = name
    assert twice == []


def test_vietnamese_is_written_with_its_diacritics() -> None:
    """A sentence of Vietnamese written without tone marks is a draft, not a translation."""
    words = catalogue.messages("vi")
    bare = [
        key
        for key, text in words.items()
        if len(text.split()) >= 4
        and re.fullmatch(r"[\x00-\x7f]*", text)
        and text != catalogue.messages("en")[key]
    ]
    assert bare == []


CODES = {
    # Every event the ledger records, the case file and the audit page name.
    "event": LEDGER_KINDS,
    "level": list(LEVELS),
    "ground": [g.value for g in RevocationGround],
    "verdict": _choices(Decided, "outcome"),
    "refusal": _choices(Decided, "reason_code"),
    "deadline_kind": _choices(DeadlineEvent, "deadline"),
    "seat": _choices(CouncilMembership, "role"),
    "kind": list(vocab.DOCUMENT_KINDS),
    "role": ["system"],
}


@pytest.mark.parametrize("prefix", sorted(CODES))
@pytest.mark.parametrize("lang", catalogue.LANGUAGES)
def test_every_code_a_reader_meets_has_words(prefix: str, lang: str) -> None:
    missing = [c for c in CODES[prefix] if not catalogue.has(f"{prefix}.{c}", lang)]
    assert missing == []


def test_every_event_type_is_named() -> None:
    assert set(EVENT_TYPES) <= set(LEDGER_KINDS)
    assert [t for t in sorted(EVENT_TYPES) if not catalogue.has(f"event.{t}", "en")] == []


def test_the_labels_the_emails_use_exist() -> None:
    """Each ``label('prefix', …)`` of the email templates names a prefix with codes above, and
    each ``refusal.*`` key the sender composes is there."""
    used = set()
    for path in EMAILS.rglob("*.j2"):
        used.update(re.findall(r"label\('([a-z_]+)'", path.read_text(encoding="utf-8")))
    assert used and used <= set(CODES), sorted(used - set(CODES))
    for key in ("refusal.knocked_out.findings", "refusal.below_three_stars.rank"):
        assert catalogue.has(key, "vi") and catalogue.has(key, "en")


def test_the_words_the_case_file_uses_exist() -> None:
    """``w.name`` in the report's template and ``w["name"]`` in the PDF are ``casefile.name``."""
    methods = {"label", "kind", "moment", "day", "person", "result_of", "row", "details_of", "unit"}
    template = (CASE_FILE / "templates" / "case_file.html").read_text(encoding="utf-8")
    code = (CASE_FILE / "render.py").read_text(encoding="utf-8")
    used = {*re.findall(r"\bw\.([a-z_]+)\b", template), *re.findall(r"""w\["([a-z_]+)"\]""", code)}
    used |= set(re.findall(r"\bw\.([a-z_]+)\b(?!\()", code))
    names = sorted(used - methods - {"lang"})
    assert len(names) > 20
    assert [n for n in names if not catalogue.has(f"casefile.{n}", "en")] == []
