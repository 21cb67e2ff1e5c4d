"""``ocop backup`` while the system runs and takes requests, ``ocop restore`` into a fresh data
directory, the system started again on it: the ledger verifies, reconciliation finds nothing,
and every request answered 2xx before the backup began is there, documents included.

Embedded mode only: on PostgreSQL backups are the DBA's procedure (docs/operations.md#backups).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from services.audit import reconcile_urls
from shared import config
from tests.e2e.stack import Stack
from tests.support import flows
from tests.support.environment import Environment
from tests.support.observe import wait_until

pytestmark = pytest.mark.e2e

PROCESSES = [f"{service}-{kind}" for service in config.SERVICES for kind in ("relay", "worker")]


def _embedded(data_dir: Path) -> Environment:
    return Environment(
        mode="embedded",
        data_dir=data_dir,
        database_urls={s: f"sqlite:///{data_dir / s / f'{s}.sqlite'}" for s in config.SERVICES},
        broker_url=f"sqla+sqlite:///{data_dir / 'broker.sqlite'}",
    )


def _ocop(stack_env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli", *args],
        env=stack_env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _start(stack: Stack) -> None:
    stack.web("registration", workers=2)
    for name in PROCESSES:
        service, kind = name.rsplit("-", 1)
        stack.start(name, kind, service)


def _file_one(call: flows.Transport, officer: flows.Actor) -> dict[str, Any]:
    """A dossier filed with a document, submitted and accepted; what a person was told."""
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    content = flows.PDF + uuid.uuid4().hex.encode()  # each document its own bytes
    uploaded = flows.upload(applicant, dossier["id"], "business_registration", content=content)
    assert uploaded.status == 201, uploaded.body
    submitted = flows.act(applicant, dossier, "submit").body
    accepted = flows.act(officer, submitted, "accept")
    assert accepted.status == 200, accepted.body
    return {
        "email": applicant.account["email"],
        "dossier": accepted.body,
        "document": uploaded.body["download_url"],
        "content": content,
    }


def test_backup_while_running_restored_into_a_fresh_data_dir(
    migrated: Environment, tmp_path: Path
) -> None:
    if migrated.mode != "embedded":
        pytest.skip("PostgreSQL backups are the DBA's procedure (docs/operations.md#backups)")
    source = _embedded(tmp_path / "data")
    stack = Stack(source, tmp_path)
    for args in (("migrate",), ("seed",)):
        done = _ocop(stack.env, *args)
        assert done.returncode == 0, done.stderr
    filed: list[dict[str, Any]] = []
    during: list[dict[str, Any]] = []
    try:
        _start(stack)
        call = flows.http_transport(stack.urls["registration"])
        admin = flows.login(call, "admin@ocop.local")
        officer = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
        filed += [_file_one(call, officer) for _ in range(4)]

        # People keep filing while the backup is taken.
        stop = threading.Event()

        def keep_filing() -> None:
            while not stop.is_set():
                during.append(_file_one(call, officer))

        filer = threading.Thread(target=keep_filing)
        filer.start()
        time.sleep(0.5)
        answered_before = len(during)  # these answered 2xx before the backup began
        backup = _ocop(stack.env, "backup", str(tmp_path / "backup"))
        time.sleep(0.5)
        stop.set()
        filer.join(60)
        assert backup.returncode == 0, backup.stderr
        assert len(during) > answered_before, "nothing was filed while the backup was taken"
        filed += during[:answered_before]
        # And more after it, which the restore will not have.
        after = _file_one(call, officer)
    finally:
        stack.stop()

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert {e["name"] for e in manifest["files"] if e["kind"] == "database"} == {
        *config.SERVICES,
        "broker",
    }
    assert sum(e["kind"] == "document" for e in manifest["files"]) >= len(filed)

    # Restored into a fresh data dir and started on it.
    fresh = _embedded(tmp_path / "restored")
    (tmp_path / "restored-logs").mkdir()
    restored = Stack(fresh, tmp_path / "restored-logs")
    done = _ocop(restored.env, "restore", str(tmp_path / "backup"))
    assert done.returncode == 0, done.stderr
    assert "ocop audit verify" in done.stdout and "ocop audit reconcile" in done.stdout
    # A second restore over it is refused without --force.
    again = _ocop(restored.env, "restore", str(tmp_path / "backup"))
    assert again.returncode == 2 and "--force" in again.stderr
    try:
        _start(restored)
        call = flows.http_transport(restored.urls["registration"])
        for one in filed:
            person = flows.login(call, one["email"])
            dossier_id = one["dossier"]["id"]
            got = person("GET", f"/api/v1/dossiers/{dossier_id}")
            assert got.status == 200, got.body
            assert got.body["status"] == "accepted"
            content = person("GET", one["document"])
            assert content.status == 200 and content.body == one["content"]
        # The dossier filed after the backup is not there.
        assert flows.login(call, "admin@ocop.local")(
            "GET", f"/api/v1/dossiers/{after['dossier']['id']}"
        ).status in (403, 404)

        databases = {s: fresh.database_urls[s] for s in config.SERVICES}
        # The events the relays and workers had not finished with at backup time are finished
        # with now, from the restored outboxes and broker: every case, those filed while the
        # backup was taken included.
        assert wait_until(lambda: reconcile_urls(databases, None).clean, 120), reconcile_urls(
            databases, None
        ).text()
        verify = _ocop(restored.env, "audit", "verify", "--online")
        assert verify.returncode == 0, verify.stdout + verify.stderr
        reconcile = _ocop(restored.env, "audit", "reconcile")
        assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
    finally:
        restored.stop()
