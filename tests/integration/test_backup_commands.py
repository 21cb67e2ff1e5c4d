"""``ocop backup``, ``ocop restore`` and ``ocop outbox republish`` as an operator runs them:
what they refuse (leaving everything as it was), and what republishing marks unsent."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from services import cli
from shared import config
from tests.support.environment import Environment


def _fresh_data_dir(monkeypatch: pytest.MonkeyPatch, where: Path) -> None:
    """This process's settings pointed at an empty embedded data dir."""
    monkeypatch.setenv("OCOP_DATA_DIR", str(where))
    monkeypatch.setenv("OCOP_BROKER_URL", f"sqla+sqlite:///{where / 'broker.sqlite'}")
    for s in config.SERVICES:
        monkeypatch.setenv(
            f"OCOP_{s.upper()}_DATABASE_URL", f"sqlite:///{where / s / f'{s}.sqlite'}"
        )


@pytest.fixture
def taken(migrated: Environment, tmp_path: Path) -> Path:
    if migrated.mode != "embedded":
        pytest.skip("ocop backup is for the embedded mode (PostgreSQL: docs/operations.md#backups)")
    assert cli.main(["backup", str(tmp_path / "backup")]) == 0
    return tmp_path / "backup"


def test_backup_refuses_a_directory_that_holds_something(taken: Path, capsys) -> None:
    assert cli.main(["backup", str(taken)]) == 2
    assert "not empty" in capsys.readouterr().err


def test_backup_on_postgresql_points_to_the_procedure(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys
) -> None:
    monkeypatch.setenv("OCOP_EVALUATION_DATABASE_URL", "postgresql+psycopg://ocop@db/ocop")
    assert cli.main(["backup", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "OCOP_EVALUATION_DATABASE_URL" in err and "docs/operations.md#backups" in err
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "damage",
    ["changed", "missing", "extra", "no manifest", "no database"],
)
def test_restore_refuses_a_backup_that_does_not_check_out(
    taken: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, damage: str, capsys
) -> None:
    manifest = json.loads((taken / "manifest.json").read_text())
    if damage == "changed":
        with open(taken / "evaluation.sqlite", "r+b") as fh:
            fh.seek(200)
            fh.write(b"\x01")
    elif damage == "missing":
        (taken / "notification.sqlite").unlink()
    elif damage == "extra":
        (taken / "documents").mkdir(exist_ok=True)
        (taken / "documents" / "slipped-in").write_bytes(b"x")
    elif damage == "no manifest":
        (taken / "manifest.json").unlink()
    else:
        manifest["files"] = [f for f in manifest["files"] if f.get("name") != "registration"]
        (taken / "registration.sqlite").unlink()
        (taken / "manifest.json").write_text(json.dumps(manifest))
    fresh = tmp_path / "fresh"
    _fresh_data_dir(monkeypatch, fresh)
    assert cli.main(["restore", str(taken)]) == 2
    assert "nothing restored" in capsys.readouterr().err
    assert not fresh.exists() or not any(fresh.rglob("*.sqlite"))


def test_restore_refuses_a_data_dir_with_data_unless_forced(
    taken: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    fresh = tmp_path / "fresh"
    _fresh_data_dir(monkeypatch, fresh)
    assert cli.main(["restore", str(taken)]) == 0
    out = capsys.readouterr().out
    assert "ocop audit verify --online" in out and "ocop audit reconcile" in out
    (fresh / "evaluation" / "evaluation.sqlite-wal").write_bytes(b"left over")
    assert cli.main(["restore", str(taken)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["restore", str(taken), "--force"]) == 0
    # The -wal of the database it replaced is gone (it would be replayed into the restored one).
    assert not (fresh / "evaluation" / "evaluation.sqlite-wal").exists()
    assert cli.main(["migrate", "--status"]) == 0


def test_republish_marks_the_rows_published_since_then_unsent(registration, capsys) -> None:
    o = registration.outbox.c
    early, late = uuid.uuid4(), uuid.uuid4()
    # Far in the future, so no other test's rows fall in the period.
    with registration.db.engine.begin() as conn:
        for event_id, published in (
            (early, datetime(2099, 12, 30, 23, 0, tzinfo=UTC)),
            (late, datetime(2100, 1, 1, 1, 0, tzinfo=UTC)),
        ):
            conn.execute(
                registration.outbox.insert().values(
                    event_id=event_id,
                    type="test.republished",
                    envelope={},
                    created_at=published,
                    attempts=1,
                    claimed_by="relay-gone",
                    published_at=published,
                )
            )
    # 2100-01-01 07:00 in Vietnam is midnight UTC.
    argv = ["outbox", "republish", "--since", "2100-01-01T07:00+07:00", "--service", "registration"]
    try:
        assert cli.main(argv) == 0
        assert "registration: 1 event(s)" in capsys.readouterr().out
        with registration.db.engine.connect() as conn:
            rows = dict(
                conn.execute(
                    select(o.event_id, o.published_at).where(o.event_id.in_([early, late]))
                ).all()
            )
            claimed = conn.execute(select(o.claimed_by).where(o.event_id == late)).scalar()
        assert rows[late] is None and claimed is None
        assert rows[early] is not None
        assert cli.main(["outbox", "republish", "--since", "yesterday"]) == 2
    finally:
        with registration.db.engine.begin() as conn:
            conn.execute(registration.outbox.delete().where(o.event_id.in_([early, late])))
