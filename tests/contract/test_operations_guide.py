"""docs/operations.md names every setting the code reads, and every command it tells an operator
to type exists."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from services import cli
from shared import config

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
SETTING = re.compile(r"\b(?:OCOP_[A-Z0-9_]*[A-Z0-9]|PROMETHEUS_MULTIPROC_DIR)\b")


def _read_by_code() -> set[str]:
    names: set[str] = set()
    for path in [*(ROOT / "services").rglob("*.py"), *(ROOT / "shared").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names.update(SETTING.findall(text))
        # f"OCOP_{upper}_DATABASE_URL" and the like, once per service (and the portal's URL).
        for suffix in re.findall(r"OCOP_\{[^{}]*\}_([A-Z0-9_]+)", text):
            names.update(f"OCOP_{part.upper()}_{suffix}" for part in config.DEFAULT_PORTS)
    # Names only a test or a benchmark sets are not operators' business.
    return {n for n in names if not n.startswith(("OCOP_TEST_", "OCOP_E2E_", "OCOP_FUZZ_"))}


def test_every_setting_the_code_reads_is_in_the_guide() -> None:
    read = _read_by_code()
    assert len(read) > 35
    named = set(SETTING.findall(GUIDE))
    missing = sorted(n for n in read if n not in named and not n.endswith("_PORTAL_DATABASE_URL"))
    assert missing == []


def _commands() -> list[list[str]]:
    """The ``ocop`` commands of the guide's shell blocks (alone, or at the end of a pipe)."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", GUIDE, flags=re.S):
        for line in block.splitlines():
            command = re.search(r"(?:^|\|\s*)ocop\s+([^#]*)", line.strip())
            if command:
                found.append(shlex.split(command.group(1)))
    return found


@pytest.mark.parametrize("argv", _commands(), ids=" ".join)
def test_every_command_in_the_guide_parses(argv: list[str]) -> None:
    # Placeholders as an operator would fill them in; optional parts ([...]) given.
    filled = [{"ID": "0190f0a0", "KID": "0190f0a0"}.get(w.strip("[]"), w.strip("[]")) for w in argv]
    args = cli.build_parser().parse_args(filled)
    assert args.command == filled[0]
