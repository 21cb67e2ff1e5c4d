"""Drive the registration API as a client would, over any transport (Flask test client or HTTP)."""

from __future__ import annotations

import itertools
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.rubrics import accepted_answers, load_rubric

DEMO_PASSWORD = "ocop-demo-2026"
COMMUNE = "pre2025:commune:19333"  # Phường 1, Đông Hà (district 461, Quảng Trị 45)
OTHER_COMMUNE = "pre2025:commune:19336"  # Phường Đông Lễ, same district

PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 17


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str]


Transport = Callable[..., Reply]


def flask_transport(client: Any) -> Transport:
    def call(method: str, path: str, *, token: str | None = None, **kw: Any) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        if "files" in kw:
            files = kw.pop("files")
            data = dict(kw.pop("data", {}))
            for field, (name, content, ctype) in files.items():
                import io

                data[field] = (io.BytesIO(content), name, ctype)
            kw["data"] = data
            kw["content_type"] = "multipart/form-data"
        resp = client.open(path, method=method, headers=headers, **kw)
        body = (
            resp.get_json(silent=True) if resp.is_json or "json" in resp.content_type else resp.data
        )
        return Reply(resp.status_code, body, dict(resp.headers))

    return call


def http_transport(base_url: str) -> Transport:
    import requests

    session = requests.Session()

    def call(method: str, path: str, *, token: str | None = None, **kw: Any) -> Reply:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        headers.update(kw.pop("headers", {}))
        resp = session.request(method, base_url + path, headers=headers, timeout=30, **kw)
        ctype = resp.headers.get("Content-Type", "")
        body = resp.json() if "json" in ctype else resp.content
        return Reply(resp.status_code, body, dict(resp.headers))

    return call


def complete_answers(set_code: str, pick: str = "best") -> dict[str, str]:
    """A full self-assessment: the best (or worst) accepted answer on every criterion."""
    sheet = load_rubric().sheet(set_code)
    index = -1 if pick == "best" else 0
    answers = {}
    for criterion in sheet.criteria:
        options = accepted_answers(criterion)
        answers[criterion.code] = options[index]
    return answers


class Actor:
    """A signed-in person."""

    def __init__(self, call: Transport, token: str, account: dict[str, Any]) -> None:
        self.call = call
        self.token = token
        self.account = account

    def __call__(self, method: str, path: str, **kw: Any) -> Reply:
        return self.call(method, path, token=self.token, **kw)

    def on(self, call: Transport) -> Actor:
        """The same person calling another service."""
        return Actor(call, self.token, self.account)


_NET = random.Random().randrange(16, 32)
_addresses = itertools.count(1)


def fresh_address() -> str:
    """A client address no other sign-in of this run uses. The login limit counts attempts per
    address (in the database, so across concurrent runs too: hence the random network), and the
    Flask test client reports 127.0.0.1 for every call, which the rest of the suite shares."""
    n = next(_addresses)
    return f"172.{_NET}.{n // 250 % 250}.{n % 250 + 1}"


def login(
    call: Transport, email: str, password: str = DEMO_PASSWORD, *, own_address: bool = False
) -> Actor:
    """Sign in; ``own_address`` (Flask transport only) from a :func:`fresh_address`."""
    extra: dict[str, Any] = {}
    if own_address:
        extra["environ_base"] = {"REMOTE_ADDR": fresh_address()}
    body = {"email": email, "password": password}
    reply = call("POST", "/api/v1/auth/token", json=body, **extra)
    assert reply.status == 200, reply.body
    return Actor(call, reply.body["access_token"], reply.body["account"])


def register_account(
    call: Transport,
    role: str = "applicant",
    password: str = DEMO_PASSWORD,
    *,
    language: str | None = None,
    display_name: str | None = None,
) -> str:
    """A new self-registered account (applicant or consultant); returns its email."""
    email = f"{role}-{uuid.uuid4().hex[:12]}@example.vn"
    body = {
        "email": email,
        "password": password,
        "display_name": display_name or f"Test {role}",
        "role": role,
    }
    if language is not None:
        body["language"] = language
    reply = call("POST", "/api/v1/accounts/register", json=body)
    assert reply.status == 201, reply.body
    return email


def register(
    call: Transport,
    role: str = "applicant",
    password: str = DEMO_PASSWORD,
    *,
    language: str | None = None,
    display_name: str | None = None,
    own_address: bool = False,
) -> Actor:
    """A new self-registered account, signed in."""
    email = register_account(call, role, password, language=language, display_name=display_name)
    return login(call, email, password, own_address=own_address)


def official_account(
    admin: Actor,
    roles: list[str],
    unit: str | None,
    *,
    password: str | None = DEMO_PASSWORD,
    email: str | None = None,
    display_name: str | None = None,
    language: str | None = None,
    councils: list[str] | None = None,
) -> dict[str, Any]:
    """A new official's account as the admin creates it (``password=None``: invited to set
    one by email); returns the account."""
    body: dict[str, Any] = {
        "email": email or f"{roles[0]}-{uuid.uuid4().hex[:12]}@example.gov.vn",
        "display_name": display_name or f"Test {roles[0]}",
        "roles": roles,
        "unit": unit,
    }
    optional = {"password": password, "language": language, "councils": councils}
    body |= {key: value for key, value in optional.items() if value is not None}
    reply = admin("POST", "/api/v1/accounts", json=body)
    assert reply.status == 201, reply.body
    return reply.body


def create_official(
    admin: Actor,
    roles: list[str],
    unit: str | None,
    *,
    display_name: str | None = None,
    language: str | None = None,
    councils: list[str] | None = None,
    own_address: bool = False,
) -> Actor:
    """A new official, signed in."""
    account = official_account(
        admin, roles, unit, display_name=display_name, language=language, councils=councils
    )
    return login(admin.call, account["email"], own_address=own_address)


def producer_body(unit: str = COMMUNE) -> dict[str, Any]:
    return {
        "name": "Hợp tác xã Nông nghiệp Đông Hà",
        "entity_type": "cooperative",
        "representative": {
            "name": "Nguyễn Thị Hoa",
            "position": "Giám đốc",
            "gender": "female",
            "ethnicity": "Kinh",
        },
        "unit": unit,
        "address": "Phường 1, Thành phố Đông Hà, Quảng Trị",
        "phone": "0912 345 678",
        "email": "htx.dongha@example.vn",
    }


def create_producer(applicant: Actor, unit: str = COMMUNE) -> dict[str, Any]:
    reply = applicant("POST", "/api/v1/producers", json=producer_body(unit))
    assert reply.status == 201, reply.body
    return reply.body


def dossier_body(producer_id: str, set_code: str = "04") -> dict[str, Any]:
    return {
        "producer_id": producer_id,
        "registration_type": "first",
        "product_name": "Mật ong hoa cà phê Đông Hà",
        "product_set_code": set_code,
        "samples_count": 5,
        "self_assessment": complete_answers(set_code),
        "commitment": True,
    }


def create_dossier(
    applicant: Actor, producer_id: str, set_code: str = "04", **fields: Any
) -> dict[str, Any]:
    """A draft of ``producer_id``; ``fields`` replace the body's (an upgrade's or
    re-evaluation's ``registration_type`` and ``certificate_number``)."""
    body = dossier_body(producer_id, set_code) | fields
    reply = applicant("POST", "/api/v1/dossiers", json=body)
    assert reply.status == 201, reply.body
    return reply.body


def upload(
    actor: Actor,
    dossier_id: str,
    kind: str,
    name: str = "giay-phep.pdf",
    content: bytes = PDF,
    content_type: str = "application/pdf",
) -> Reply:
    return actor(
        "POST",
        f"/api/v1/dossiers/{dossier_id}/documents",
        data={"kind": kind},
        files={"file": (name, content, content_type)},
    )


def act(actor: Actor, dossier: dict[str, Any], action: str, **body: Any) -> Reply:
    return actor(
        "POST",
        f"/api/v1/dossiers/{dossier['id']}/{action}",
        json={"version": dossier["version"], **body},
    )


def submitted_dossier(
    applicant: Actor, producer_id: str, set_code: str = "04", **fields: Any
) -> dict[str, Any]:
    """A new dossier of ``producer_id`` (``fields`` as for :func:`create_dossier`) filed with one
    document and submitted: in the commune's queue; returns the dossier as submitted."""
    dossier = create_dossier(applicant, producer_id, set_code, **fields)
    assert upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    return submitted.body


def accepted_dossier(
    applicant: Actor, commune_officer: Actor, producer_id: str, set_code: str = "04"
) -> dict[str, Any]:
    """A :func:`submitted_dossier` accepted by the commune; returns it as accepted."""
    submitted = submitted_dossier(applicant, producer_id, set_code)
    accepted = act(commune_officer, submitted, "accept")
    assert accepted.status == 200, accepted.body
    return accepted.body
