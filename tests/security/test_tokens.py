"""docs/quality.md 13: every defective bearer token answers 401 problem+json; a valid one 200.

Tokens are built here with PyJWT: signed with the service's own private key (so only the defect
under test is wrong), or with a freshly generated key for the wrong-key variants.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.security.conftest import assert_problem, outbox_count
from tests.support import flows

PROTECTED = "/api/v1/dossiers"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segment(obj: dict[str, Any]) -> str:
    return _b64(json.dumps(obj, separators=(",", ":")).encode())


class Forge:
    """Builds tokens against the registration service's key ring."""

    def __init__(self, registration: Any, account: dict[str, Any]) -> None:
        self.settings = registration.settings
        keys = registration.keyring.keys()
        self.kid = next(reversed(keys))
        self.private = keys[self.kid]
        self.public_pem = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.account = account

    def claims(self, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": self.account["id"],
            "roles": self.account["roles"],
            "unit": self.account["unit"],
            "councils": [],
            "iss": self.settings.jwt_issuer,
            "aud": self.settings.jwt_audience,
            "iat": now,
            "nbf": now,
            "exp": now + 300,
        }
        for key, value in overrides.items():
            if value is _DROP:
                claims.pop(key, None)
            else:
                claims[key] = value
        return claims

    def sign(
        self,
        claims: dict[str, Any] | None = None,
        *,
        key: Any = None,
        kid: Any = ...,
        algorithm: str = "ES256",
        headers: dict[str, Any] | None = None,
    ) -> str:
        header = dict(headers or {})
        if kid is ...:
            header["kid"] = self.kid
        elif kid is not None:
            header["kid"] = kid
        return jwt.encode(
            self.claims() if claims is None else claims,
            self.private if key is None else key,
            algorithm=algorithm,
            headers=header or None,
        )


_DROP = object()


@pytest.fixture(scope="module")
def holder(call: flows.Transport) -> flows.Actor:
    return flows.register(call, "applicant", own_address=True)


@pytest.fixture(scope="module")
def forge(registration: Any, holder: flows.Actor) -> Forge:
    return Forge(registration, holder.account)


def _get(call: flows.Transport, authorization: str | None) -> flows.Reply:
    headers = {"Authorization": authorization} if authorization is not None else {}
    return call("GET", PROTECTED, headers=headers)


def _assert_401(reply: flows.Reply) -> None:
    assert_problem(reply, 401, "unauthorized")
    assert reply.headers.get("WWW-Authenticate", "").startswith("Bearer")


# --- the baseline: what a good token gets --------------------------------------------------


def test_valid_token_from_login_is_accepted(call: flows.Transport, holder: flows.Actor) -> None:
    reply = _get(call, f"Bearer {holder.token}")
    assert reply.status == 200, reply.body
    assert reply.body["items"] == []


def test_valid_forged_token_is_accepted(call: flows.Transport, forge: Forge) -> None:
    # The forge itself is sound: with nothing wrong, its tokens pass. Every variant below
    # differs from this one in exactly the defect it names.
    reply = _get(call, f"Bearer {forge.sign()}")
    assert reply.status == 200, reply.body


def test_no_token_is_401(call: flows.Transport) -> None:
    _assert_401(_get(call, None))


# --- defective tokens ----------------------------------------------------------------------


def _alg_none(f: Forge) -> str:
    header = _segment({"alg": "none", "typ": "JWT", "kid": f.kid})
    return f"{header}.{_segment(f.claims())}."


def _alg_none_with_signature(f: Forge) -> str:
    good = f.sign().split(".")
    return f"{_segment({'alg': 'none', 'typ': 'JWT', 'kid': f.kid})}.{good[1]}.{good[2]}"


def _hs256_public_pem(f: Forge) -> str:
    # The classic key-confusion attack: HMAC keyed with the published public key.
    signing_input = (
        f"{_segment({'alg': 'HS256', 'typ': 'JWT', 'kid': f.kid})}.{_segment(f.claims())}"
    )
    mac = hmac.new(f.public_pem, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(mac)}"


def _tampered_roles(f: Forge) -> str:
    header, _, signature = f.sign().split(".")
    payload = _segment(f.claims(roles=["admin"], unit="national"))
    return f"{header}.{payload}.{signature}"


def _tampered_sub(f: Forge) -> str:
    header, _, signature = f.sign().split(".")
    return f"{header}.{_segment(f.claims(sub=str(uuid.uuid4())))}.{signature}"


def _wrong_key(f: Forge) -> str:
    return f.sign(key=ec.generate_private_key(ec.SECP256R1()))


def _embedded_jwk(f: Forge) -> str:
    # A key carried in the token itself must never be trusted.
    attacker = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(attacker.public_key(), as_dict=True)
    return f.sign(key=attacker, kid=None, headers={"jwk": jwk})


def _es512(f: Forge) -> str:
    return f.sign(key=ec.generate_private_key(ec.SECP521R1()), algorithm="ES512")


def _kid_not_a_string(f: Forge) -> str:
    # PyJWT will not encode such a header, so sign by hand (ES256 is raw r||s over SHA-256).
    signing_input = (
        f"{_segment({'alg': 'ES256', 'typ': 'JWT', 'kid': 12345})}.{_segment(f.claims())}"
    )
    signature = jwt.algorithms.ECAlgorithm(jwt.algorithms.ECAlgorithm.SHA256).sign(
        signing_input.encode(), f.private
    )
    return f"{signing_input}.{_b64(signature)}"


def _truncated_signature(f: Forge) -> str:
    return f.sign()[:-10]


VARIANTS: dict[str, Callable[[Forge], str]] = {
    "alg-none": _alg_none,
    "alg-none-signature-kept": _alg_none_with_signature,
    "hs256-public-key-as-secret": _hs256_public_pem,
    "expired": lambda f: f.sign(
        f.claims(
            iat=int(time.time()) - 3600, nbf=int(time.time()) - 3600, exp=int(time.time()) - 60
        )
    ),
    "not-yet-valid": lambda f: f.sign(f.claims(nbf=int(time.time()) + 600)),
    "wrong-issuer": lambda f: f.sign(f.claims(iss="https://evil.example")),
    "wrong-audience": lambda f: f.sign(f.claims(aud="another-audience")),
    "tampered-roles-signature-kept": _tampered_roles,
    "tampered-sub-signature-kept": _tampered_sub,
    "signed-by-another-key": _wrong_key,
    "signed-by-key-embedded-in-header": _embedded_jwk,
    "es512-not-allowed": _es512,
    "truncated-signature": _truncated_signature,
    "unknown-kid": lambda f: f.sign(kid=uuid.uuid4().hex),
    "kid-path-traversal": lambda f: f.sign(kid="../../../../etc/passwd"),
    "kid-not-a-string": _kid_not_a_string,
    "missing-kid": lambda f: f.sign(kid=None),
    "missing-exp": lambda f: f.sign(f.claims(exp=_DROP)),
    "missing-iat": lambda f: f.sign(f.claims(iat=_DROP)),
    "missing-nbf": lambda f: f.sign(f.claims(nbf=_DROP)),
    "missing-sub": lambda f: f.sign(f.claims(sub=_DROP)),
    "missing-iss": lambda f: f.sign(f.claims(iss=_DROP)),
    "missing-aud": lambda f: f.sign(f.claims(aud=_DROP)),
    "missing-roles": lambda f: f.sign(f.claims(roles=_DROP)),
    "exp-not-a-number": lambda f: f.sign(f.claims(exp="tomorrow")),
    "unknown-role": lambda f: f.sign(f.claims(roles=["applicant", "superuser"])),
    "roles-not-a-list": lambda f: f.sign(f.claims(roles="admin")),
    "unit-without-level": lambda f: f.sign(f.claims(unit="pre2025:19333")),
    "unit-unknown-level": lambda f: f.sign(f.claims(unit="pre2025:hamlet:19333")),
    "unit-too-many-parts": lambda f: f.sign(f.claims(unit="pre2025:commune:19333:x")),
}

GARBAGE = {
    "garbage-word": "Bearer garbage",
    "garbage-three-dots": "Bearer a.b.c",
    "garbage-bad-base64": "Bearer !!!.???.***",
    "garbage-json-header-not-object": f"Bearer {_b64(b'[1,2]')}.{_b64(b'{}')}.{_b64(b'x')}",
    "garbage-non-ascii": "Bearer ÿþ\u0000\u0001",
    "empty-bearer": "Bearer ",
    "bearer-without-token": "Bearer",
    "wrong-scheme-basic": "Basic " + base64.b64encode(b"admin@ocop.local:ocop-demo-2026").decode(),
    "wrong-scheme-token": "Token abc.def.ghi",
    "scheme-only-garbage": "garbage",
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_defective_token_is_401(call: flows.Transport, forge: Forge, variant: str) -> None:
    token = VARIANTS[variant](forge)
    _assert_401(_get(call, f"Bearer {token}"))


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_authorization_is_401(call: flows.Transport, name: str) -> None:
    _assert_401(_get(call, GARBAGE[name]))


def test_valid_token_with_wrong_scheme_is_401(call: flows.Transport, holder: flows.Actor) -> None:
    # The same token that passes as Bearer is refused under any other scheme.
    _assert_401(_get(call, f"Basic {holder.token}"))
    _assert_401(_get(call, holder.token))


def test_tampered_token_changes_nothing(
    call: flows.Transport, forge: Forge, registration: Any
) -> None:
    # A tampered admin token must not create an official's account.
    before = outbox_count(registration)
    reply = call(
        "POST",
        "/api/v1/accounts",
        token=_tampered_roles(forge),
        json={
            "email": f"forged-{uuid.uuid4().hex[:8]}@example.gov.vn",
            "password": flows.DEMO_PASSWORD,
            "display_name": "Forged",
            "roles": ["admin"],
            "unit": "national",
        },
    )
    _assert_401(reply)
    assert outbox_count(registration) == before


# --- claims with a valid signature but the wrong shape -------------------------------------
# The signature is good, so only the claim checks stand between such a token and the API.
# A deployment may verify tokens of an external OpenID Connect provider, whose claims this
# service does not control: a claim of the wrong type must answer 401, never 500.

MALFORMED_CLAIMS: dict[str, Any] = {
    "unit-int": pytest.param({"unit": 45}),
    "unit-list": pytest.param({"unit": ["pre2025", "commune", "19333"]}),
    "sub-not-a-uuid": pytest.param({"sub": "not-a-uuid"}),
    "councils-not-a-list": pytest.param({"councils": 7}),
    "sub-not-a-string": pytest.param({"sub": 12345}),
    "role-not-a-string": pytest.param({"roles": [{"admin": True}]}),
}


@pytest.mark.parametrize("overrides", MALFORMED_CLAIMS.values(), ids=list(MALFORMED_CLAIMS))
def test_validly_signed_token_with_malformed_claims_is_401(
    call: flows.Transport, forge: Forge, overrides: dict[str, Any]
) -> None:
    token = forge.sign(forge.claims(**overrides))
    _assert_401(_get(call, f"Bearer {token}"))


def test_token_in_query_string_is_not_accepted(call: flows.Transport, holder: flows.Actor) -> None:
    # Tokens in URLs end up in logs and referrers; only the Authorization header counts.
    for name in ("access_token", "token", "jwt"):
        _assert_401(call("GET", f"{PROTECTED}?{name}={holder.token}"))


def test_jwks_publishes_only_public_keys(call: flows.Transport, holder: flows.Actor) -> None:
    reply = call("GET", "/.well-known/jwks.json")
    assert reply.status == 200, reply.body
    keys = reply.body["keys"]
    kid = jwt.get_unverified_header(holder.token)["kid"]
    assert kid in {k["kid"] for k in keys}
    for key in keys:
        assert key["kty"] == "EC" and key["alg"] == "ES256"
        assert not {"d", "p", "q", "dp", "dq", "qi", "k"} & set(key), key
    # The published key verifies the token, as another service would check it.
    public = jwt.PyJWK(next(k for k in keys if k["kid"] == kid)).key
    claims = jwt.decode(holder.token, public, algorithms=["ES256"], audience="ocop")
    assert claims["sub"] == holder.account["id"]
