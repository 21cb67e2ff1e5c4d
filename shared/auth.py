"""Bearer-token verification (JWT, asymmetric keys from a JWKS), roles and jurisdiction, and
the check that a token still speaks for its account (current powers, ADR 0002)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
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
        raise problems.unauthorized("auth.token_invalid")
    subject = claims.get("sub")
    try:
        account_id = str(uuid.UUID(subject)) if isinstance(subject, str) else None
    except ValueError:
        account_id = None
    if account_id is None:
        raise problems.unauthorized("auth.token_invalid")
    unit_claim = claims.get("unit")
    try:
        if unit_claim is not None and not isinstance(unit_claim, str):
            raise ValueError("unit must be a string")
        unit = UnitRef.parse(unit_claim) if unit_claim else None
    except ValueError as exc:
        raise problems.unauthorized("auth.token_invalid") from exc
    councils = claims.get("councils", [])
    if not isinstance(councils, list) or not all(isinstance(c, str) for c in councils):
        raise problems.unauthorized("auth.token_invalid")
    return Principal(
        account_id=account_id,
        roles=frozenset(roles),
        unit=unit,
        councils=frozenset(councils),
        name=str(claims.get("name", "")),
    )


KeyResolver = Callable[[str], Any]

_CACHE_SIZE = 2048


@dataclass(frozen=True, slots=True)
class VerifiedToken:
    """A token whose signature and claims hold, with what the current-powers check reads."""

    principal: Principal
    token_id: str | None  # ``jti``: what a sign-out revokes
    issued_at: float  # ``iat``; the issuer writes it to the millisecond
    expires_at: float  # ``exp``


@dataclass(frozen=True, slots=True)
class AccountState:
    """What a service knows of an account now, from its own table: tokens that no longer speak
    for the account are refused although their signature holds."""

    active: bool = True
    # Tokens issued before this carry roles, a jurisdiction or councils the account has lost.
    not_before: datetime | None = None
    # Ids of its tokens that were signed out and have not expired yet.
    revoked: frozenset[str] = frozenset()


#: ``account_id -> AccountState``, or None for an account the service has not heard of.
AccountStateLookup = Callable[[str], AccountState | None]


class CurrentPowers:
    """Refuses tokens of deactivated accounts, tokens issued before the account's last change of
    powers, and signed-out tokens.

    The state of an account is looked up at most once per ``ttl`` seconds per process: the same
    token comes with every request of a session, and a query each time would double the cost of
    a cheap read. So a change takes effect within ``ttl`` (plus, in other services, the time its
    event takes to arrive); ``forget`` makes it immediate in the process that made it.
    """

    def __init__(
        self,
        lookup: AccountStateLookup,
        *,
        ttl: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl
        self._clock = clock
        self._states: dict[str, tuple[AccountState | None, float]] = {}

    def state(self, account_id: str) -> AccountState | None:
        now = self._clock()
        cached = self._states.get(account_id)
        if cached is not None and cached[1] > now:
            return cached[0]
        state = self._lookup(account_id)
        if len(self._states) >= _CACHE_SIZE:
            self._states.pop(next(iter(self._states)))  # oldest first (insertion order)
        self._states.pop(account_id, None)  # re-inserted last, so eviction stays oldest-first
        self._states[account_id] = (state, now + self._ttl)
        return state

    def forget(self, account_id: str) -> None:
        """Look the account up afresh on its next request (this process changed it)."""
        self._states.pop(account_id, None)

    def check(self, token: VerifiedToken) -> None:
        """401 unless the token still speaks for its account."""
        state = self.state(token.principal.account_id)
        if state is None:
            return  # not heard of yet: nothing has changed since its creation
        if not state.active:
            raise problems.unauthorized("auth.account_deactivated")
        if token.token_id is not None and token.token_id in state.revoked:
            raise problems.unauthorized("auth.signed_out")
        # Tokens of earlier releases carry ``iat`` in whole seconds, at most a second early:
        # one issued in the same second after a change is refused too (its holder signs in
        # again), never one issued before it.
        if state.not_before is not None and token.issued_at < state.not_before.timestamp():
            raise problems.unauthorized("auth.powers_changed")


JWKS_LIFESPAN = 300  # seconds a fetched key set is trusted before it is fetched again


class TokenVerifier:
    """Verifies tokens against a key set: a JWKS URL, or a local resolver (the issuer itself);
    with ``powers``, also that the token still speaks for its account."""

    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str | None = None,
        resolve_key: KeyResolver | None = None,
        powers: CurrentPowers | None = None,
    ) -> None:
        if (jwks_url is None) == (resolve_key is None):
            raise ValueError("give exactly one of jwks_url and resolve_key")
        self.issuer = issuer
        self.audience = audience
        self.powers = powers
        # The key set is read again after JWKS_LIFESPAN seconds, and keys are not cached apart
        # from it: a retired key (``ocop keys retire``) is refused here within that time (a
        # token already verified stays accepted until it expires, at most its lifetime).
        self._jwks = (
            jwt.PyJWKClient(jwks_url, cache_keys=False, lifespan=JWKS_LIFESPAN)
            if jwks_url
            else None
        )
        self._resolve = resolve_key
        self._verified: dict[str, VerifiedToken] = {}

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
        """The caller the token names; any defect answers 401."""
        return self.verify_token(token).principal

    def verify_token(self, token: str) -> VerifiedToken:
        """The token's caller and facts; any defect, or a token that no longer speaks for its
        account, answers 401.

        A token whose signature was checked is answered from a small cache until it expires:
        the same token arrives with every request of a session, and the signature check
        dominates. Its account's current state is checked every time (itself cached briefly).
        """
        verified = self._verified.get(token)
        if verified is None or verified.expires_at <= time.time():
            verified = self._verify(token)
            if len(self._verified) >= _CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))  # oldest first (insertion order)
            self._verified[token] = verified
        if self.powers is not None:
            self.powers.check(verified)
        return verified

    def _verify(self, token: str) -> VerifiedToken:
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
            raise problems.unauthorized("auth.token_invalid") from exc
        issued_at, token_id = claims["iat"], claims.get("jti")
        # PyJWT accepts any iat that int() takes ("123" too); the comparison needs a number.
        if isinstance(issued_at, bool) or not isinstance(issued_at, int | float):
            raise problems.unauthorized("auth.token_invalid")
        if token_id is not None and not isinstance(token_id, str):
            raise problems.unauthorized("auth.token_invalid")
        return VerifiedToken(
            principal=principal_from_claims(claims),
            token_id=token_id,
            issued_at=float(issued_at),
            expires_at=float(claims["exp"]),
        )
