"""Bearer-token verification (JWT, asymmetric keys from a JWKS), roles and jurisdiction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import jwt

from shared import problems

ALGORITHMS = ["ES256"]

ROLES = (
    "applicant",
    "consultant",
    "commune_officer",
    "secretariat",
    "council_member",
    "council_chair",
    "council_secretary",
    "decision_authority",
    "auditor",
    "admin",
)

OFFICIAL_ROLES = tuple(r for r in ROLES if r not in ("applicant", "consultant"))


@dataclass(frozen=True, slots=True)
class UnitRef:
    """An administrative unit as carried in tokens and events: ``tree:level:code``.

    ``national`` (no tree, no code) is the whole country. Codes are unique within a level only,
    so the level is part of the reference (province 45 and district 045 are different units).
    """

    tree: str
    level: str
    code: str

    @classmethod
    def parse(cls, value: str) -> UnitRef:
        if value == "national":
            return NATIONAL
        parts = value.split(":")
        if len(parts) != 3 or parts[1] not in ("province", "district", "commune"):
            raise ValueError(f"not a unit reference: {value!r} (expected tree:level:code)")
        return cls(*parts)

    def __str__(self) -> str:
        return "national" if self.level == "national" else f"{self.tree}:{self.level}:{self.code}"


NATIONAL = UnitRef(tree="", level="national", code="")


@dataclass(frozen=True, slots=True)
class Principal:
    """The authenticated caller."""

    account_id: str
    roles: frozenset[str]
    unit: UnitRef | None = None
    councils: frozenset[str] = field(default_factory=frozenset)
    name: str = ""

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    @property
    def primary_role(self) -> str:
        return next((r for r in ROLES if r in self.roles), "unknown")


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    """The caller a verified token names; claims of the wrong shape answer 401, never 500."""
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(r in ROLES for r in roles):
        raise problems.unauthorized("The token carries unknown roles.")
    subject = claims.get("sub")
    try:
        account_id = str(uuid.UUID(subject)) if isinstance(subject, str) else None
    except ValueError:
        account_id = None
    if account_id is None:
        raise problems.unauthorized("The token's subject is not an account id.")
    unit_claim = claims.get("unit")
    try:
        if unit_claim is not None and not isinstance(unit_claim, str):
            raise ValueError("unit must be a string")
        unit = UnitRef.parse(unit_claim) if unit_claim else None
    except ValueError as exc:
        raise problems.unauthorized("The token carries a malformed unit.") from exc
    councils = claims.get("councils", [])
    if not isinstance(councils, list) or not all(isinstance(c, str) for c in councils):
        raise problems.unauthorized("The token carries malformed councils.")
    return Principal(
        account_id=account_id,
        roles=frozenset(roles),
        unit=unit,
        councils=frozenset(councils),
        name=str(claims.get("name", "")),
    )


KeyResolver = Callable[[str], Any]

_CACHE_SIZE = 2048


class TokenVerifier:
    """Verifies tokens against a key set: a JWKS URL, or a local resolver (the issuer itself)."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        resolve_key: KeyResolver | None = None,
    ) -> None:
        if (jwks_url is None) == (resolve_key is None):
            raise ValueError("give exactly one of jwks_url and resolve_key")
        self.issuer = issuer
        self.audience = audience
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300) if jwks_url else None
        self._resolve = resolve_key
        self._verified: dict[str, tuple[Principal, float]] = {}

    def _key_for(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        header = jwt.get_unverified_header(token)
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise jwt.InvalidTokenError("no key id")
        assert self._resolve is not None
        return self._resolve(kid)

    def verify(self, token: str) -> Principal:
        """The caller the token names; any defect answers 401.

        A token already verified is answered from a small cache until it expires: the same
        token arrives with every request of a session, and the signature check dominates.
        """
        cached = self._verified.get(token)
        if cached is not None and cached[1] > time.time():
            return cached[0]
        principal, expires = self._verify(token)
        if len(self._verified) >= _CACHE_SIZE:
            self._verified.pop(next(iter(self._verified)))  # oldest first (insertion order)
        self._verified[token] = (principal, expires)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        try:
            key = self._key_for(token)
            claims = jwt.decode(
                token,
                key=key,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "nbf", "sub", "iss", "aud"]},
                leeway=5,
            )
        except (jwt.PyJWTError, KeyError, ValueError) as exc:
            raise problems.unauthorized("The bearer token is not valid.") from exc
        return principal_from_claims(claims), float(claims["exp"])
