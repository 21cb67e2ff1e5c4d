"""The portal's own small rules: its session key, dates shown in Vietnam, and how an API's field
errors are laid beside the form's fields. (The intake deadline is registration's: it answers
``intake_due_on``, tests/unit/registration/test_intake_deadline.py.)"""

from __future__ import annotations

import stat
from dataclasses import replace
from pathlib import Path

from services.portal.api_client import ApiError
from services.portal.app import create_app, local_day
from shared import config


def test_workers_share_one_generated_session_key(tmp_path: Path) -> None:
    settings = replace(config.load_portal(), data_dir=tmp_path, secret_key=None)
    first, second = create_app(settings), create_app(settings)
    assert first.secret_key == second.secret_key and len(str(first.secret_key)) >= 40
    key_file = tmp_path / "portal" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert sorted(p.name for p in key_file.parent.iterdir()) == ["secret_key"]
    configured = create_app(replace(settings, secret_key="from-the-environment"))
    assert configured.secret_key == "from-the-environment"


def test_timestamps_are_shown_as_the_day_in_vietnam() -> None:
    assert local_day("2026-11-29T18:30:00+00:00") == "30/11/2026"  # 01:30 in Hà Nội
    assert local_day("2026-11-29T16:59:59+00:00") == "29/11/2026"
    assert local_day("2026-11-29") == "29/11/2026"
    assert local_day(None) == "—"


def test_nested_field_errors_are_keyed_like_the_form_fields() -> None:
    error = ApiError(
        422,
        {
            "errors": {
                "representative": {"name": ["Missing data for required field."]},
                "missing_items": {"0": {"item": ["Shorter than minimum length 1."]}},
                "phone": ["String does not match expected pattern."],
            }
        },
    )
    assert error.field_errors == {
        "representative.name": "Missing data for required field.",
        "missing_items.0.item": "Shorter than minimum length 1.",
        "phone": "String does not match expected pattern.",
    }
