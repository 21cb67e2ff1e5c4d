"""The checkpoint signing key (Ed25519): generated on first use and kept in the registration
database like the token keys (encrypted with ``OCOP_SIGNING_KEY_PASSPHRASE`` when set), so every
process signs with the same key. Every stored key is published; rotation = add a key."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.registration.adapters.keys import seal, unseal
from services.registration.models import LedgerKey
from shared.ledger import checkpoint as checkpoints


def _load(row: LedgerKey) -> Ed25519PrivateKey:
    key = unseal(row.private_pem)
    assert isinstance(key, Ed25519PrivateKey)
    return key


def key_id(key: Ed25519PrivateKey) -> str:
    """The fingerprint of the public half (stable, so a statement names its key)."""
    return checkpoints.fingerprint(key.public_key())[:32]


def signing_key(session: Session) -> tuple[str, Ed25519PrivateKey]:
    """The newest key, created in the caller's transaction if there is none yet."""
    row = session.execute(
        select(LedgerKey).order_by(LedgerKey.created_at.desc(), LedgerKey.kid.desc()).limit(1)
    ).scalar_one_or_none()
    if row is not None:
        return row.kid, _load(row)
    kid = add_ledger_key(session)
    return kid, _load(session.get_one(LedgerKey, kid))


def add_ledger_key(session: Session) -> str:
    """A new key that signs the next checkpoints (``ocop keys rotate``); the older ones stay
    published, since the checkpoints they signed must stay checkable."""
    key = Ed25519PrivateKey.generate()
    kid = key_id(key)
    session.add(LedgerKey(kid=kid, private_pem=seal(key), created_at=datetime.now(UTC)))
    session.flush()
    return kid


def public_keys(session: Session) -> dict[str, str]:
    """Every key id and its public key (PEM), oldest first."""
    rows = session.execute(select(LedgerKey).order_by(LedgerKey.created_at)).scalars()
    return {row.kid: checkpoints.public_pem(_load(row).public_key()) for row in rows}


def digest_of(pem: str) -> str:
    return hashlib.sha256(pem.encode("ascii")).hexdigest()
