"""The architecture as a test: the import contracts in pyproject.toml (`[tool.importlinter]`).

A domain imports no framework and nothing outside itself, the standard library and the shared pure
modules; no service imports another; the portal imports no service; shared imports no service.
README, "Inside a service", names them; there is no exception (reconciliation reads what each
service publishes for an audit, composed in services/audit.py beside services/cli.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import grimp

from tests.contract.allowlist import AllowlistContract

ROOT = Path(__file__).resolve().parents[2]


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    command = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert command, "lint-imports is missing: install the test extras (pip install -e .[test])"
    return command


def test_import_contracts_are_kept() -> None:
    run = subprocess.run(
        [_lint_imports(), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, f"an import contract is broken:\n{run.stdout}\n{run.stderr}"
    assert "0 broken" in run.stdout, run.stdout


def _allowlist(graph: grimp.ImportGraph, allowed: list[str]) -> bool:
    contract = AllowlistContract(
        name="pure",
        session_options={},
        contract_options={"source_modules": ["app.domain"], "allowed_modules": allowed},
    )
    return contract.check(graph, verbose=False).kept


def test_allowlist_refuses_what_is_not_listed() -> None:
    graph = grimp.ImportGraph()
    for module in ("app", "app.domain", "app.domain.rules", "app.models", "app.pure"):
        graph.add_module(module)
    graph.add_module("flask", is_squashed=True)
    graph.add_module("dataclasses", is_squashed=True)
    graph.add_import(importer="app.domain.rules", imported="dataclasses")
    graph.add_import(importer="app.domain.rules", imported="app.domain")
    graph.add_import(importer="app.domain.rules", imported="app.pure")
    assert _allowlist(graph, ["app.pure"])
    assert not _allowlist(graph, [])

    graph.add_import(importer="app.domain", imported="app.models")
    assert not _allowlist(graph, ["app.pure"])

    graph.remove_import(importer="app.domain", imported="app.models")
    graph.add_import(importer="app.domain.rules", imported="flask")
    assert not _allowlist(graph, ["app.pure"])
