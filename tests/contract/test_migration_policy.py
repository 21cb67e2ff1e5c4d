"""The upgrade policy, checked on every migration: a release's migrations run while the
previous release still serves (docs/operations.md#upgrades), so they only expand.

- No table or column is dropped or renamed, no column's type changes and no existing column
  becomes NOT NULL: the previous release still reads and writes them. A new NOT NULL column
  carries a server default, or the previous release's inserts would fail.
- Migrations after the ones below build an index on a table they did not create with
  ``postgresql_concurrently=True`` (inside an autocommit block): a plain CREATE INDEX locks the
  table's writes for as long as it takes.

A migration that must contract (drop what no release uses any more) says so in a module-level
``CONTRACTS = "why, and the release that stopped using it"``; it is then let through.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MIGRATIONS = sorted(ROOT.glob("services/*/migrations/versions/0*.py"))
#: The last migration of each service built before the concurrent-index rule.
INDEXES_BEFORE_THE_RULE = {"registration": "0015", "evaluation": "0016", "notification": "0006"}


def _upgrade(tree: ast.Module) -> ast.FunctionDef | None:
    return next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade"), None
    )


def _keywords(call: ast.Call) -> dict[str, ast.expr]:
    return {k.arg: k.value for k in call.keywords if k.arg}


def _is(value: ast.expr | None, constant: object) -> bool:
    return isinstance(value, ast.Constant) and value.value is constant


def _contraction(call: ast.Call) -> str | None:
    """Why ``call`` would break the previous release, if it would."""
    name = call.func.attr if isinstance(call.func, ast.Attribute) else ""
    kw = _keywords(call)
    if name in ("drop_column", "drop_table", "rename_table"):
        return name
    if name == "alter_column":
        if "new_column_name" in kw:
            return "a column renamed"
        if "type_" in kw:
            return "a column's type changed"
        if _is(kw.get("nullable"), False):
            return "an existing column made NOT NULL"
    if name == "add_column" and call.args and isinstance(call.args[-1], ast.Call):
        column = _keywords(call.args[-1])
        if _is(column.get("nullable"), False) and "server_default" not in column:
            return "a NOT NULL column without a server default"
    return None


def _created_tables(upgrade: ast.FunctionDef) -> set[str]:
    return {
        node.args[0].value
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "create_table"
        and node.args
        and isinstance(node.args[0], ast.Constant)
    }


def _blocking_indexes(upgrade: ast.FunctionDef) -> Iterator[int]:
    """Lines building an index on a table this migration did not create, not concurrently."""
    created = _created_tables(upgrade)
    for node in ast.walk(upgrade):
        if not (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "create_index"
        ):
            continue
        table = node.args[1] if len(node.args) > 1 else _keywords(node).get("table_name")
        if isinstance(table, ast.Constant) and table.value in created:
            continue
        if not _is(_keywords(node).get("postgresql_concurrently"), True):
            yield node.lineno


def _service_and_revision(path: Path) -> tuple[str, str]:
    return path.parts[-4], path.name.split("_", 1)[0]


@pytest.mark.parametrize("path", MIGRATIONS, ids=lambda p: f"{p.parts[-4]}/{p.stem}")
def test_a_migration_only_expands(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    upgrade = _upgrade(tree)
    assert upgrade is not None, f"{path.name} has no upgrade()"
    declared = any(
        isinstance(n, ast.Assign) and any(getattr(t, "id", "") == "CONTRACTS" for t in n.targets)
        for n in tree.body
    )
    breaking = [
        f"line {node.lineno}: {why}"
        for node in ast.walk(upgrade)
        if isinstance(node, ast.Call) and (why := _contraction(node))
    ]
    assert declared or not breaking, (
        f"{path.name} would break the release still serving: {breaking} "
        "(expand now, contract in a later release with CONTRACTS = '...')"
    )
    service, revision = _service_and_revision(path)
    if revision > INDEXES_BEFORE_THE_RULE[service]:
        blocking = list(_blocking_indexes(upgrade))
        assert not blocking, f"{path.name}: build these indexes concurrently: lines {blocking}"


def test_the_policy_sees_what_it_forbids() -> None:
    """The checks above find each kind of change they forbid (so a pass means something)."""
    sample = ast.parse(
        "def upgrade():\n"
        "    op.drop_column('t', 'c')\n"
        "    op.alter_column('t', 'a', new_column_name='b')\n"
        "    op.alter_column('t', 'a', nullable=False)\n"
        "    op.add_column('t', sa.Column('n', sa.Integer(), nullable=False))\n"
        "    op.add_column('t', sa.Column('m', sa.Integer(), nullable=False, server_default='0'))\n"
        "    op.create_index('ix', 'old', ['a'])\n"
        "    op.create_table('new')\n"
        "    op.create_index('ix2', 'new', ['a'])\n"
        "    op.create_index('ix3', 'old', ['a'], postgresql_concurrently=True)\n"
    )
    upgrade = _upgrade(sample)
    assert upgrade is not None
    found = [why for n in ast.walk(upgrade) if isinstance(n, ast.Call) and (why := _contraction(n))]
    assert found == [
        "drop_column",
        "a column renamed",
        "an existing column made NOT NULL",
        "a NOT NULL column without a server default",
    ]
    assert list(_blocking_indexes(upgrade)) == [7]
