"""``ocop admin create``: the operator's first administrator, from an empty deployment. The
password comes from standard input; the account signs in and creates officials; bad input
creates nothing."""

from __future__ import annotations

import io
import uuid

import pytest
from sqlalchemy import func, select

from services import cli
from services.registration.models import Account
from tests.support import flows

PASSWORD = "so-long-and-secret-2026"


def _create(monkeypatch: pytest.MonkeyPatch, email: str, password: str, *extra: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return cli.main(["admin", "create", "--email", email, "--name", "Sở NN&PTNT", *extra])


def _accounts(registration, email: str) -> int:
    with registration.db.reader() as session:
        return session.scalar(select(func.count()).where(Account.email == email))


def test_the_first_administrator_signs_in_and_creates_officials(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registration, call
) -> None:
    email = f"quantri-{uuid.uuid4().hex[:8]}@so-nn.example"
    assert _create(monkeypatch, email, PASSWORD) == 0
    assert email in capsys.readouterr().out
    with registration.db.reader() as session:
        account = session.scalars(select(Account).where(Account.email == email)).one()
    assert (account.roles, account.unit, account.language) == (["admin"], None, "vi")
    assert PASSWORD not in account.password_hash
    admin = flows.login(call, email, PASSWORD)
    official = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    assert official.account["roles"] == ["commune_officer"]


@pytest.mark.parametrize(
    ("email", "password", "why"),
    [
        ("short@so-nn.example", "too-short", "password"),
        ("not-an-email", PASSWORD, "email"),
    ],
)
def test_bad_input_creates_nothing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    registration,
    email: str,
    password: str,
    why: str,
) -> None:
    assert _create(monkeypatch, email, password) == 2
    assert why in capsys.readouterr().err
    assert _accounts(registration, email) == 0


def test_an_email_already_taken_is_refused(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], registration
) -> None:
    email = f"hai-lan-{uuid.uuid4().hex[:8]}@so-nn.example"
    assert _create(monkeypatch, email, PASSWORD) == 0
    assert _create(monkeypatch, email, PASSWORD + "x") == 2
    assert "not created" in capsys.readouterr().err
    assert _accounts(registration, email) == 1
