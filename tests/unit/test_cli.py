"""The `ocop` command line: what the README and CI type must parse."""

from __future__ import annotations

import pytest

from services import cli


def test_test_passes_every_argument_to_pytest(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[str]] = []
    monkeypatch.setattr("pytest.main", lambda args: seen.append(args) or 0)
    assert cli.main(["test", "-q", "-k", "lifecycle", "--maxfail=1"]) == 0
    assert seen[0] == ["-q", "-k", "lifecycle", "--maxfail=1"]


def test_unknown_commands_are_refused() -> None:
    with pytest.raises(SystemExit):
        cli.main(["nonsense"])
