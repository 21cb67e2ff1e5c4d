"""Current powers (ADR 0002): the token check every service runs after the signature, its short
cache, the issuer's millisecond ``iat``, and the tables kept from account events."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import MetaData

from services.registration.adapters.keys import KeyRing
from shared import powers
from shared.auth import AccountState, CurrentPowers, Principal, TokenVerifier, VerifiedToken
from shared.db import Database
from shared.problems import Problem

ACCOUNT = str(uuid.uuid4())
CHANGED = datetime(2026, 12, 6, 10, 0, 0, 500_000, tzinfo=UTC)  # half past a whole second


def _token(issued_at: float, token_id: str | None = "t1") -> VerifiedToken:
    return VerifiedToken(
        principal=Principal(account_id=ACCOUNT, roles=frozenset({"secretariat"})),
        token_id=token_id,
        issued_at=issued_at,
        expires_at=issued_at + 900,
    )


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Lookup:
    """A service's table, counted."""

    def __init__(self, state: AccountState | None) -> None:
        self.state = state
        self.calls = 0

    def __call__(self, account_id: str) -> AccountState | None:
        assert account_id == ACCOUNT
        self.calls += 1
        return self.state


def _refused(check: CurrentPowers, token: VerifiedToken) -> str:
    """The code of the 401 the check answers (its words are the catalogue's)."""
    with pytest.raises(Problem) as caught:
        check.check(token)
    assert caught.value.status == 401 and caught.value.detail
    return caught.value.extra["code"]


def test_an_account_the_service_has_not_heard_of_keeps_its_tokens() -> None:
    CurrentPowers(Lookup(None)).check(_token(CHANGED.timestamp() - 60))


def test_a_token_issued_before_the_last_change_of_powers_is_refused() -> None:
    check = CurrentPowers(Lookup(AccountState(not_before=CHANGED)))
    assert _refused(check, _token(CHANGED.timestamp() - 0.001)) == "auth.powers_changed"
    check.check(_token(CHANGED.timestamp() + 0.001))  # signed in again: the new powers
    check.check(_token(CHANGED.timestamp()))


def test_a_whole_second_iat_is_never_late_enough_to_pass() -> None:
    """Tokens of earlier releases say the second only: one issued in the same second as the
    change is refused whether it came before or after it (never wrongly accepted)."""
    check = CurrentPowers(Lookup(AccountState(not_before=CHANGED)))
    _refused(check, _token(float(int(CHANGED.timestamp()))))
    check.check(_token(float(int(CHANGED.timestamp()) + 1)))


def test_a_deactivated_account_has_no_token_at_all() -> None:
    check = CurrentPowers(Lookup(AccountState(active=False)))
    assert _refused(check, _token(time.time())) == "auth.account_deactivated"


def test_a_signed_out_token_is_refused_and_the_others_are_not() -> None:
    check = CurrentPowers(Lookup(AccountState(revoked=frozenset({"t1"}))))
    assert _refused(check, _token(time.time(), "t1")) == "auth.signed_out"
    check.check(_token(time.time(), "t2"))  # another device's session goes on
    check.check(_token(time.time(), None))


def test_the_state_is_cached_briefly_and_forgotten_on_demand() -> None:
    lookup, clock = Lookup(AccountState()), Clock()
    check = CurrentPowers(lookup, ttl=2.0, clock=clock)
    for _ in range(5):
        check.check(_token(CHANGED.timestamp() - 60))
    assert lookup.calls == 1
    lookup.state = AccountState(not_before=CHANGED)
    clock.now += 1.9
    check.check(_token(CHANGED.timestamp() - 60))  # still the cached state
    clock.now += 0.2
    _refused(check, _token(CHANGED.timestamp() - 60))  # the cache ran out: the change holds
    assert lookup.calls == 2
    lookup.state = AccountState(active=False)
    check.forget(ACCOUNT)
    _refused(check, _token(CHANGED.timestamp() + 60))
    assert lookup.calls == 3


# --- the verifier: signature first (cached), then the powers, every time ---------------------


@pytest.fixture(scope="module")
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _signed(key: Any, **claims: Any) -> str:
    now = time.time()
    body = {
        "sub": ACCOUNT,
        "roles": ["secretariat"],
        "iss": "ocop-registration",
        "aud": "ocop",
        "iat": now,
        "nbf": int(now),
        "exp": int(now) + 300,
        "jti": "abc",
        **claims,
    }
    return jwt.encode(body, key, algorithm="ES256", headers={"kid": "k"})


def _verifier(key: Any, lookup: Lookup, clock: Clock | None = None) -> TokenVerifier:
    return TokenVerifier(
        issuer="ocop-registration",
        audience="ocop",
        resolve_key=lambda kid: key.public_key(),
        powers=CurrentPowers(lookup, clock=clock or Clock()),
    )


def test_the_verifier_gives_the_token_facts_and_checks_powers_after_its_cache(key: Any) -> None:
    lookup, clock = Lookup(AccountState()), Clock()
    verifier = _verifier(key, lookup, clock)
    token = _signed(key)
    verified = verifier.verify_token(token)
    assert verified.token_id == "abc"
    assert verified.principal.account_id == ACCOUNT
    assert verifier.verify(token) == verified.principal
    # Signed out: the signature is still cached, the token is refused all the same.
    lookup.state = AccountState(revoked=frozenset({"abc"}))
    clock.now += 5
    with pytest.raises(Problem) as caught:
        verifier.verify_token(token)
    assert caught.value.status == 401


@pytest.mark.parametrize("iat", ["1767225600", True, None])
def test_an_iat_that_is_not_a_number_is_refused(key: Any, iat: Any) -> None:
    verifier = _verifier(key, Lookup(None))
    with pytest.raises(Problem) as caught:
        verifier.verify_token(_signed(key, iat=iat))
    assert caught.value.status == 401


def test_the_issuer_writes_iat_to_the_millisecond_and_never_late(key: Any) -> None:
    ring = KeyRing(db=None)  # type: ignore[arg-type]
    ring._keys, ring._current = {"k": key}, "k"
    ring._loaded_at = time.monotonic()  # as if just read: no database here to read again
    settings = SimpleNamespace(
        jwt_issuer="ocop-registration", jwt_audience="ocop", token_ttl_seconds=900
    )
    before = time.time()
    claims = jwt.decode(
        ring.issue(settings, {"sub": ACCOUNT, "roles": []}),  # type: ignore[arg-type]
        key.public_key(),
        algorithms=["ES256"],
        audience="ocop",
    )
    after = time.time()
    assert before - 0.001 <= claims["iat"] <= after
    assert abs(claims["iat"] * 1000 - round(claims["iat"] * 1000)) < 1e-3  # milliseconds
    assert isinstance(claims["nbf"], int) and isinstance(claims["exp"], int)
    assert claims["jti"]


# --- the tables other services keep from account events ---------------------------------------


@pytest.fixture()
def tables(tmp_path: Path) -> Any:
    metadata = MetaData()
    ns = SimpleNamespace(
        powers=powers.define_account_powers_table(metadata),
        revoked=powers.define_revoked_tokens_table(metadata),
        db=Database(f"sqlite:///{tmp_path / 'powers.db'}"),
    )
    metadata.create_all(ns.db.engine)
    yield ns
    ns.db.dispose()


def _account(changed: datetime | None, *, active: bool = True) -> dict[str, Any]:
    return {
        "account_id": ACCOUNT,
        "powers_changed_at": changed.isoformat() if changed else None,
        "active": active,
    }


def _record(tables: Any, payload: dict[str, Any], occurred_at: datetime) -> None:
    with tables.db.unit_of_work() as uow:
        powers.record_account(uow.session, tables.powers, payload, occurred_at)
        uow.commit()


def test_the_newest_event_sets_active_and_the_change_time_only_moves_forward(tables: Any) -> None:
    state = powers.lookup(tables.db, tables.powers, tables.revoked)
    assert state(ACCOUNT) is None
    created = CHANGED - timedelta(hours=1)
    _record(tables, _account(None), created)
    assert state(ACCOUNT) == AccountState()
    _record(tables, _account(CHANGED, active=False), CHANGED)
    assert state(ACCOUNT) == AccountState(active=False, not_before=CHANGED)
    # The creation, redelivered late, neither reactivates the account nor moves the time back.
    _record(tables, _account(None), created)
    assert state(ACCOUNT) == AccountState(active=False, not_before=CHANGED)
    # An older change arriving after a newer one: the newer time stays, and so does its flag.
    later = CHANGED + timedelta(minutes=5)
    _record(tables, _account(later, active=True), later)
    _record(tables, _account(CHANGED, active=False), CHANGED)
    assert state(ACCOUNT) == AccountState(active=True, not_before=later)


def test_a_sign_out_is_kept_once_until_the_token_expires(tables: Any) -> None:
    state = powers.lookup(tables.db, tables.powers, tables.revoked)
    soon = datetime.now(UTC) + timedelta(minutes=10)
    gone = datetime.now(UTC) - timedelta(minutes=1)
    with tables.db.unit_of_work() as uow:
        account = uuid.UUID(ACCOUNT)
        assert powers.revoke(
            uow.session, tables.revoked, token_id="old", account_id=account, expires_at=gone
        )
        powers.record_sign_out(
            uow.session,
            tables.revoked,
            {"account_id": ACCOUNT, "token_id": "t1", "expires_at": soon.isoformat()},
        )
        assert not powers.revoke(
            uow.session, tables.revoked, token_id="t1", account_id=account, expires_at=soon
        )
        uow.commit()
    # An account known only by a sign-out: active, its other tokens fine.
    assert state(ACCOUNT) == AccountState(revoked=frozenset({"t1"}))
    with tables.db.reader() as session:
        kept = {row.token_id for row in session.execute(tables.revoked.select())}
    assert kept == {"t1"}  # the expired one went on the way
