"""Signed checkpoints of the global head (Ed25519).

A checkpoint's statement is canonical JSON naming its number, the global sequence number and
head it vouches for, the SHA-256 of the previous checkpoint's statement (so checkpoints form a
chain of their own: one removed or replayed is seen), when it was signed and by which key.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared.ledger.canonical import canonical

FORMAT = "ocop-ledger-checkpoint/1"
GENESIS_HEX = "0" * 64


@dataclass(frozen=True, slots=True)
class Statement:
    number: int
    seq: int
    head: str  # hex
    previous: str  # hex SHA-256 of the previous statement, zeros for the first
    signed_at: str  # ISO-8601 UTC
    key_id: str

    def to_bytes(self) -> bytes:
        return canonical(
            {
                "format": FORMAT,
                "number": self.number,
                "seq": self.seq,
                "head": self.head,
                "previous": self.previous,
                "signed_at": self.signed_at,
                "key_id": self.key_id,
            }
        )

    def digest(self) -> str:
        return sha256(self.to_bytes()).hexdigest()


class CheckpointError(Exception):
    pass


def sign(statement: Statement, key: Ed25519PrivateKey) -> str:
    """The base64 signature of the statement's canonical bytes."""
    return base64.b64encode(key.sign(statement.to_bytes())).decode("ascii")


def parse(statement: bytes) -> Statement:
    try:
        data: dict[str, Any] = json.loads(statement)
        if data.get("format") != FORMAT:
            raise CheckpointError("not a checkpoint statement")
        parsed = Statement(
            number=int(data["number"]),
            seq=int(data["seq"]),
            head=str(data["head"]),
            previous=str(data["previous"]),
            signed_at=str(data["signed_at"]),
            key_id=str(data["key_id"]),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"malformed statement: {exc}") from exc
    if parsed.to_bytes() != statement:
        raise CheckpointError("statement is not in canonical form")
    return parsed


def verify(statement: bytes, signature: str, public_key: Ed25519PublicKey) -> Statement:
    """The statement, if ``signature`` is the key's signature of exactly these bytes."""
    try:
        public_key.verify(base64.b64decode(signature, validate=True), statement)
    except (InvalidSignature, ValueError) as exc:
        raise CheckpointError("signature does not verify with the ledger's public key") from exc
    return parse(statement)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def load_public_pem(pem: bytes) -> Ed25519PublicKey:
    key = serialization.load_pem_public_key(pem)
    if not isinstance(key, Ed25519PublicKey):
        raise CheckpointError("the public key is not an Ed25519 key")
    return key


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, for pinning it out of band."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return sha256(raw).hexdigest()
