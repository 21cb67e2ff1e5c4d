"""Token signing keys: an ECDSA P-256 key generated on first run and kept in the database, so
every worker process and machine signs with the same key and verifies against the same set."""

from __future__ import annotations

import logging
import math
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy import select

from services.registration.models import SigningKey
from shared.auth import ALGORITHMS
from shared.config import Settings
from shared.db import Database

ALGORITHM = ALGORITHMS[0]
log = logging.getLogger(__name__)


def _passphrase() -> bytes | None:
    # Production may encrypt the stored key with a secret kept outside the database.
    value = os.environ.get("OCOP_SIGNING_KEY_PASSPHRASE", "")
    return value.encode() if value else None


def seal(key: Any, passphrase: bytes | None = None) -> bytes:
    """A private key as stored in the database: PKCS#8 PEM, encrypted with the passphrase
    (the configured one unless given) when there is one (token keys and ledger keys alike)."""
    passphrase = passphrase if passphrase is not None else _passphrase()
    encryption = (
        serialization.BestAvailableEncryption(passphrase)
        if passphrase
        else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def unseal(pem: bytes) -> Any:
    """The private key stored by ``seal``."""
    return serialization.load_pem_private_key(pem, _passphrase())


def protection_problem(settings: Settings) -> str | None:
    """Why this process must not start, if its keys would sit unencrypted in a production
    database: PostgreSQL without ``OCOP_SIGNING_KEY_PASSPHRASE``, unless the operator said so
    with ``OCOP_ALLOW_UNENCRYPTED_KEYS=1`` (the embedded SQLite file needs neither)."""
    if _passphrase() or settings.database_url.startswith("sqlite"):
        return None
    if os.environ.get("OCOP_ALLOW_UNENCRYPTED_KEYS", "") == "1":
        return None
    return (
        "OCOP_SIGNING_KEY_PASSPHRASE is empty: the token and ledger signing keys would be "
        "stored unencrypted in the database. Set a passphrase (kept outside the database), or "
        "OCOP_ALLOW_UNENCRYPTED_KEYS=1 to accept that explicitly."
    )


class KeyRing:
    """The service's token signing keys: the newest active one signs, every active one
    verifies. Loaded once per process and read again every ``RELOAD_SECONDS``, so a key an
    operator rotates in or retires (``ocop keys``) takes effect in every process without a
    restart. A key is created on first use if there is none."""

    RELOAD_SECONDS = 30.0

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keys: dict[str, ec.EllipticCurvePrivateKey] | None = None
        self._current: str | None = None
        self._public: dict[str, ec.EllipticCurvePublicKey] = {}
        self._loaded_at = 0.0

    def _load(self) -> None:
        try:
            keys = _active_keys(self.db)
        except (ValueError, TypeError):  # cryptography's answers to a wrong passphrase
            if self._keys is None:
                raise
            # Re-encrypted under a new passphrase this process was not given yet (``ocop keys
            # rekey``, before the restart that brings it): keep signing with what it holds.
            log.error("signing keys could not be read again; keeping the loaded ones")
            self._loaded_at = time.monotonic()
            return
        if not keys:
            self._generate()
            return self._load()
        self._keys = keys
        self._current = list(keys)[-1]
        self._public = {kid: key for kid, key in self._public.items() if kid in keys}
        self._loaded_at = time.monotonic()

    def _generate(self) -> None:
        # Two processes starting at once may both generate a key; both stay valid in the set.
        add_key(self.db)

    def keys(self) -> dict[str, ec.EllipticCurvePrivateKey]:
        if self._keys is None or time.monotonic() - self._loaded_at > self.RELOAD_SECONDS:
            self._load()
        assert self._keys is not None
        return self._keys

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        keys = self.keys()
        if kid not in keys:
            self._load()  # a key another process added after we loaded ours
            keys = self.keys()
        if kid not in keys:
            # Unknown or retired: the verifier answers 401 (PyJWT's own error for a bad key).
            raise jwt.InvalidKeyError(f"no active signing key {kid!r}")
        public = self._public.get(kid)
        if public is None:
            public = self._public[kid] = keys[kid].public_key()
        return public

    def jwks(self) -> dict[str, Any]:
        return {"keys": [_jwk(kid, key.public_key()) for kid, key in self.keys().items()]}

    def issue(self, settings: Settings, claims: dict[str, Any]) -> str:
        keys = self.keys()
        assert self._current is not None
        moment = time.time()
        now = int(moment)
        payload = {
            **claims,
            "iss": settings.jwt_issuer,
            "aud": settings.jwt_audience,
            # To the millisecond (a NumericDate may have a fraction), never later than the
            # moment: a token is refused if issued before its account's last change of powers,
            # and a change and a new sign-in often fall in the same second (ADR 0002).
            "iat": math.floor(moment * 1000) / 1000,
            "nbf": now,
            "exp": now + settings.token_ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(
            payload, keys[self._current], algorithm=ALGORITHM, headers={"kid": self._current}
        )


def _active_keys(db: Database) -> dict[str, ec.EllipticCurvePrivateKey]:
    """The keys not retired, oldest first (the last one signs)."""
    with db.reader() as session:
        rows = session.execute(
            select(SigningKey)
            .where(SigningKey.retired_at.is_(None))
            .order_by(SigningKey.created_at, SigningKey.kid)
        ).scalars()
        return {row.kid: unseal(row.private_pem) for row in rows}


def add_key(db: Database) -> str:
    """A new signing key, the one that signs from now on (the others keep verifying)."""
    kid = uuid.uuid4().hex
    pem = seal(ec.generate_private_key(ec.SECP256R1()))
    with db.unit_of_work() as uow:
        uow.session.add(SigningKey(kid=kid, private_pem=pem, created_at=datetime.now(UTC)))
        uow.commit()
    return kid


@lru_cache(maxsize=32)
def _jwk_cached(kid: str, der: bytes) -> dict[str, Any]:
    public = serialization.load_der_public_key(der)
    assert isinstance(public, ec.EllipticCurvePublicKey)  # the key ring holds P-256 keys only
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def _jwk(kid: str, public: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _jwk_cached(kid, der)


# --- what ``ocop keys`` does -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class KeyInfo:
    kind: str  # "token" or "ledger"
    kid: str
    created_at: datetime
    status: str  # "signing", "verifying", "retired" (tokens); "signing", "published" (ledger)


def listing(db: Database) -> list[KeyInfo]:
    """Every key, oldest first, with what it does now."""
    from services.registration.models import LedgerKey

    with db.reader() as session:
        tokens = (
            session.execute(select(SigningKey).order_by(SigningKey.created_at, SigningKey.kid))
            .scalars()
            .all()
        )
        ledger = (
            session.execute(select(LedgerKey).order_by(LedgerKey.created_at, LedgerKey.kid))
            .scalars()
            .all()
        )
    active = [row.kid for row in tokens if row.retired_at is None]
    found = [
        KeyInfo(
            "token",
            row.kid,
            row.created_at,
            "retired"
            if row.retired_at is not None
            else "signing"
            if active and row.kid == active[-1]
            else "verifying",
        )
        for row in tokens
    ]
    found += [
        KeyInfo("ledger", row.kid, row.created_at, "signing" if row is ledger[-1] else "published")
        for row in ledger
    ]
    return found


def rotate(db: Database) -> tuple[str, str]:
    """New token and ledger signing keys; the old token key keeps verifying until retired,
    old ledger keys stay published (checkpoints they signed must stay checkable)."""
    from services.registration.ledger.keys import add_ledger_key

    token_kid = add_key(db)
    with db.unit_of_work() as uow:
        ledger_kid = add_ledger_key(uow.session)
        uow.commit()
    return token_kid, ledger_kid


class KeyRefused(ValueError):
    """A key operation that would leave the service unable to sign, or names no key."""


def retire(db: Database, kid: str) -> None:
    """Take a token key out of the key set: its tokens are refused from then on (in every
    process within ``KeyRing.RELOAD_SECONDS`` and the other services' ``JWKS_LIFESPAN``). The
    signing key cannot be retired: rotate first, and wait for its tokens to run out."""
    with db.unit_of_work() as uow:
        active = (
            uow.session.execute(
                select(SigningKey)
                .where(SigningKey.retired_at.is_(None))
                .order_by(SigningKey.created_at, SigningKey.kid)
                .with_for_update()
            )
            .scalars()
            .all()
        )
        row = next((r for r in active if r.kid == kid), None)
        if row is None:
            raise KeyRefused(f"no active token key {kid}")
        if row is active[-1]:
            raise KeyRefused(f"{kid} is the signing key: run `ocop keys rotate` first")
        row.retired_at = datetime.now(UTC)
        uow.commit()


def rekey(db: Database, new_passphrase: bytes) -> int:
    """Encrypt every stored private key (token and ledger) with ``new_passphrase`` instead of
    the configured one, in one transaction; the count of keys. Then give every process the new
    ``OCOP_SIGNING_KEY_PASSPHRASE`` and restart them (until then they keep the keys they hold)."""
    from services.registration.models import LedgerKey

    if not new_passphrase:
        raise KeyRefused("the new passphrase is empty")
    count = 0
    with db.unit_of_work() as uow:
        rows: list[SigningKey | LedgerKey] = [
            *uow.session.execute(select(SigningKey).with_for_update()).scalars(),
            *uow.session.execute(select(LedgerKey).with_for_update()).scalars(),
        ]
        for row in rows:
            row.private_pem = seal(unseal(row.private_pem), new_passphrase)
            count += 1
        uow.commit()
    return count
