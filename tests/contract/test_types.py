"""Types checked: mypy over services/ and shared/ with the configuration in pyproject.toml
(``[tool.mypy]``: check_untyped_defs, warn_unused_ignores, the untyped libraries named).

An ignore is kept only where a library's types are wrong or a framework's pattern cannot be
typed, and says why: on its own line after the code, or in the comment just above it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("services", "shared")
_IGNORE = re.compile(r"#\s*type:\s*ignore(?P<codes>\[[^\]]*\])?(?P<rest>.*)$")


def test_mypy_finds_nothing() -> None:
    # The cache (.mypy_cache, git-ignored) makes a run after the first take seconds.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(ROOT / "pyproject.toml")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, f"mypy found type errors:\n{run.stdout}\n{run.stderr}"
    assert "Success: no issues found" in run.stdout, run.stdout


def test_every_ignore_names_its_error_and_says_why() -> None:
    unexplained = []
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")):
            lines = path.read_text(encoding="utf-8").splitlines()
            for number, line in enumerate(lines, start=1):
                found = _IGNORE.search(line)
                if found is None:
                    continue
                above = lines[number - 2].lstrip() if number > 1 else ""
                said = "#" in found["rest"] or above.startswith("#")
                if not found["codes"] or not said:
                    unexplained.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not unexplained, "ignores without an error code or a reason:\n" + "\n".join(unexplained)
