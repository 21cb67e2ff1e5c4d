"""Drive the registration API as a client would, over any transport (Flask test client or HTTP)."""

from __future__ import annotations

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


def login(call: Transport, email: str, password: str = DEMO_PASSWORD) -> Actor:
    reply = call("POST", "/api/v1/auth/token", json={"email": email, "password": password})
    assert reply.status == 200, reply.body
    return Actor(call, reply.body["access_token"], reply.body["account"])


def register(call: Transport, role: str = "applicant", password: str = DEMO_PASSWORD) -> Actor:
    email = f"{role}-{uuid.uuid4().hex[:10]}@example.vn"
    reply = call(
        "POST",
        "/api/v1/accounts/register",
        json={"email": email, "password": password, "display_name": f"Test {role}", "role": role},
    )
    assert reply.status == 201, reply.body
    return login(call, email, password)


def create_official(admin: Actor, roles: list[str], unit: str | None) -> Actor:
    email = f"{roles[0]}-{uuid.uuid4().hex[:10]}@example.gov.vn"
    reply = admin(
        "POST",
        "/api/v1/accounts",
        json={
            "email": email,
            "password": DEMO_PASSWORD,
            "display_name": f"Test {roles[0]}",
            "roles": roles,
            "unit": unit,
        },
    )
    assert reply.status == 201, reply.body
    return login(admin.call, email)


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


def create_dossier(applicant: Actor, producer_id: str, set_code: str = "04") -> dict[str, Any]:
    reply = applicant("POST", "/api/v1/dossiers", json=dossier_body(producer_id, set_code))
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
