"""Token signing keys: an ECDSA P-256 key generated on first run and kept in the database, so
every worker process and machine signs with the same key and verifies against the same set."""

from __future__ import annotations

import math
import os
import time
import uuid
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


def _passphrase() -> bytes | None:
    # Production may encrypt the stored key with a secret kept outside the database.
    value = os.environ.get("OCOP_SIGNING_KEY_PASSPHRASE", "")
    return value.encode() if value else None


def seal(key: Any) -> bytes:
    """A private key as stored in the database: PKCS#8 PEM, encrypted with the passphrase
    when one is configured (token keys and ledger keys alike)."""
    passphrase = _passphrase()
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


class KeyRing:
    """The service's signing keys, loaded once per process (created on first use if none)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._keys: dict[str, ec.EllipticCurvePrivateKey] | None = None
        self._current: str | None = None
        self._public: dict[str, ec.EllipticCurvePublicKey] = {}

    def _load(self) -> None:
        with self.db.reader() as session:
            rows = session.execute(select(SigningKey).order_by(SigningKey.created_at)).scalars()
            keys = {row.kid: unseal(row.private_pem) for row in rows}
        if not keys:
            self._generate()
            return self._load()
        self._keys = keys  # type: ignore[assignment]
        self._current = list(keys)[-1]

    def _generate(self) -> None:
        pem = seal(ec.generate_private_key(ec.SECP256R1()))
        # Two processes starting at once may both generate a key; both stay valid in the set.
        with self.db.unit_of_work() as uow:
            uow.session.add(
                SigningKey(kid=uuid.uuid4().hex, private_pem=pem, created_at=datetime.now(UTC))
            )
            uow.commit()

    def keys(self) -> dict[str, ec.EllipticCurvePrivateKey]:
        if self._keys is None:
            self._load()
        assert self._keys is not None
        return self._keys

    def public_key(self, kid: str) -> ec.EllipticCurvePublicKey:
        public = self._public.get(kid)
        if public is None:
            if kid not in self.keys():
                self._keys = None  # a key created by another process after we loaded ours
            public = self._public[kid] = self.keys()[kid].public_key()
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


@lru_cache(maxsize=32)
def _jwk_cached(kid: str, der: bytes) -> dict[str, Any]:
    public = serialization.load_der_public_key(der)
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(public, as_dict=True)
    return {**jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}


def _jwk(kid: str, public: ec.EllipticCurvePublicKey) -> dict[str, Any]:
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _jwk_cached(kid, der)
