"""``ocop keys``: the token and ledger signing keys rotated, a token key retired, every key
re-encrypted under a new passphrase, each taking effect in a running process without a
restart; and a production database refused without a passphrase.

On a database of its own (retiring a key of the suite's shared database would refuse the
other tests' tokens).
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest

from services import cli
from services.registration.adapters import keys
from services.registration.commands.admin import create_admin
from shared import config
from shared.migrate import upgrade
from tests.support import flows

PASSWORD = "keys-admin-password-2026"


@pytest.fixture()
def own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    from services.registration.app import create_app
    from services.registration.runtime import Registration

    url = f"sqlite:///{tmp_path / 'registration.sqlite'}"
    monkeypatch.setenv("OCOP_REGISTRATION_DATABASE_URL", url)
    upgrade("registration", url)
    rt = Registration(settings=dataclasses.replace(config.load("registration"), database_url=url))
    rt.keyring.RELOAD_SECONDS = 0  # read the keys at every use: no waiting in the test
    create_admin(rt, email="keys@so-nn.example", display_name="Quản trị", password=PASSWORD)
    call = flows.flask_transport(create_app(rt).test_client())
    yield rt, call
    rt.close()


def _token(call: flows.Transport) -> str:
    return flows.login(call, "keys@so-nn.example", PASSWORD).token


def _kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


def _me(call: flows.Transport, token: str) -> int:
    return call("GET", "/api/v1/accounts/me", token=token).status


def _published(call: flows.Transport) -> set[str]:
    return {key["kid"] for key in call("GET", "/.well-known/jwks.json").body["keys"]}


def test_rotate_then_retire_the_old_key(own: Any) -> None:
    rt, call = own
    used, unused = _token(call), _token(call)
    old = _kid(used)
    assert _me(call, used) == 200
    new, ledger = keys.rotate(rt.db)
    fresh = _token(call)
    assert _kid(fresh) == new != old  # the running process signs with the new key at once
    assert _me(call, used) == 200 and _me(call, fresh) == 200  # the old one still verifies
    assert _published(call) == {old, new}
    with pytest.raises(keys.KeyRefused, match="signing key"):
        keys.retire(rt.db, new)
    keys.retire(rt.db, old)
    assert _published(call) == {new}
    assert _me(call, unused) == 401  # a token of the retired key, not seen before: refused
    assert _me(call, fresh) == 200
    statuses = {(k.kind, k.kid): k.status for k in keys.listing(rt.db)}
    assert statuses[("token", old)] == "retired"
    assert statuses[("token", new)] == "signing"
    assert statuses[("ledger", ledger)] == "signing"
    with pytest.raises(keys.KeyRefused, match="no active"):
        keys.retire(rt.db, old)


def test_rekey_encrypts_every_key_under_the_new_passphrase(
    own: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from services.registration.ledger.keys import signing_key
    from services.registration.runtime import Registration

    rt, call = own
    token = _token(call)
    with rt.db.unit_of_work() as uow:
        signing_key(uow.session)  # a ledger key too
        uow.commit()
    assert keys.rekey(rt.db, b"the-new-passphrase") == 2
    # This process, still on the old passphrase, keeps the keys it holds (and says so).
    assert _me(call, _token(call)) == 200 and _me(call, token) == 200
    assert "could not be read again" in caplog.text
    monkeypatch.setenv("OCOP_SIGNING_KEY_PASSPHRASE", "the-new-passphrase")
    restarted = Registration(settings=rt.settings)
    try:
        assert list(restarted.keyring.keys()) == [_kid(token)]
        with restarted.db.reader() as session:
            assert signing_key(session)[0]
    finally:
        restarted.close()
    with pytest.raises(keys.KeyRefused):
        keys.rekey(rt.db, b"")


def test_the_command_lists_rotates_and_refuses_to_retire_the_signing_key(
    own: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli.main(["keys", "rotate"]) == 0
    assert cli.main(["keys", "list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    signing = [line.split()[1] for line in listed if line.startswith("token") and "signing" in line]
    assert len(signing) == 1
    assert cli.main(["keys", "retire", signing[0]]) == 2
    assert "is the signing key" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("another-passphrase\n"))
    assert cli.main(["keys", "rekey"]) == 0


@pytest.mark.parametrize(
    ("url", "passphrase", "allowed", "refused"),
    [
        ("postgresql+psycopg://db/ocop", "", "", True),
        ("postgresql+psycopg://db/ocop", "", "1", False),
        ("postgresql+psycopg://db/ocop", "secret", "", False),
        ("sqlite:///x.sqlite", "", "", False),
    ],
)
def test_production_refuses_unencrypted_keys_unless_told(
    monkeypatch: pytest.MonkeyPatch, url: str, passphrase: str, allowed: str, refused: bool
) -> None:
    monkeypatch.setenv("OCOP_SIGNING_KEY_PASSPHRASE", passphrase)
    monkeypatch.setenv("OCOP_ALLOW_UNENCRYPTED_KEYS", allowed)
    settings = dataclasses.replace(config.load("registration"), database_url=url)
    problem = keys.protection_problem(settings)
    assert (problem is not None) == refused
    if refused:
        assert "OCOP_SIGNING_KEY_PASSPHRASE" in problem  # type: ignore[operator]
