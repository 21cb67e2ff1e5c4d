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


def test_celery_processes_log_json_lines_at_the_configured_level() -> None:
    import json
    import os
    import subprocess
    import sys

    script = (
        "import logging; from celery import signals; from services import cli;"
        "level = cli._json_logs('evaluation-worker'); print(level);"
        "signals.setup_logging.send(sender=None);"
        "logging.getLogger('x').info('hidden'); logging.getLogger('x').warning('shown')"
    )
    env = {**os.environ, "OCOP_LOG_LEVEL": "warning"}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "WARNING"
    (line,) = done.stderr.strip().splitlines()
    entry = json.loads(line)
    assert (entry["service"], entry["level"], entry["msg"]) == (
        "evaluation-worker",
        "WARNING",
        "shown",
    )
