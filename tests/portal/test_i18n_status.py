"""The public status line in the reader's language, from the rule key and values the
registration API gives beside its English line."""

from __future__ import annotations

import pytest

from services.portal import i18n
from services.portal.app import create_app
from services.registration.service.public_status import TEMPLATES


@pytest.fixture()
def in_language(tmp_path):
    from dataclasses import replace

    from shared import config

    app = create_app(replace(config.load_portal(), data_dir=tmp_path))

    def run(lang: str, dossier: dict) -> str | None:
        with app.test_request_context(f"/?lang={lang}"):
            i18n.pick_language()
            return i18n.public_status(dossier)

    return run


def test_every_status_rule_has_a_line_in_both_languages() -> None:
    keys = {rule.key for rules in TEMPLATES.values() for rule in rules if rule.template}
    for lang in i18n.LANGUAGES:
        missing = sorted(k for k in keys if f"public_status.{k}" not in i18n.catalogue(lang))
        assert missing == [], lang


def test_the_status_is_said_in_the_readers_language(in_language) -> None:
    dossier = {
        "public_status": "at district level, awaiting a council",
        "public_status_key": "forwarded",
        "public_status_params": {"to_level": "district"},
    }
    assert in_language("vi", dossier) == "đã chuyển lên cấp huyện, chờ hội đồng"
    assert in_language("en", dossier) == "at district level, awaiting a council"
    issued = {
        "public_status": "recognised 4★ until 2029-11-30",
        "public_status_key": "certificate.issued",
        "public_status_params": {"star_rank": 4, "expires_on": "2029-11-30"},
    }
    assert in_language("vi", issued) == "đạt 4★, hiệu lực đến 30/11/2029"
    assert in_language("en", issued) == "recognised 4★ until 30 Nov 2029"
    # An older dossier without the parts keeps its English line.
    assert in_language("vi", {"public_status": "commune review"}) == "commune review"
