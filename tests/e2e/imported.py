"""A province's file of certificates issued before the platform, over real processes: written
as an operator keeps it, imported with ``ocop import certificates FILE --apply``, and the
account the import created for its producer claimed as its owner would."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from services.registration.service.certificate_import import COLUMNS, header_words
from shared.certificates import add_months
from tests.e2e.stack import Stack
from tests.support import flows

SET_CODE = "04"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def province_file(folder: Path, tag: str) -> tuple[Path, dict[str, str], dict[str, str]]:
    """Two certificates of one producer, as a province keeps them: a district's 3★ expiring in
    150 days (its re-evaluation window is open) under an original number with a slash, and a
    province's 4★ revoked last year."""
    today = datetime.now(VIETNAM).date()
    expires = today + timedelta(days=150)
    issued = add_months(expires, -36)
    producer = {
        "producer_name": f"Hợp tác xã Mật ong {tag}",
        "producer_tax_no": f"32{int(tag, 16) % 10**8:08d}",
        "producer_email": f"htx-{tag}@example.vn",
        "entity_type": "cooperative",
        "unit_tree": "pre2025",
        "commune": "19333",
    }
    honey = {
        **producer,
        "product_name": f"Mật ong hoa cà phê {tag}",
        "product_set": SET_CODE,
        "star_rank": "3",
        "level": "district",
        "decision_number": f"{tag}/QĐ-UBND",
        "decided_on": issued.strftime("%d/%m/%Y"),
        "certificate_number": f"{tag}/GCN-UBND",
        "issued_on": issued.strftime("%d/%m/%Y"),
        "expires_on": expires.strftime("%d/%m/%Y"),
        "status": "valid",
    }
    tea = {
        **producer,
        "product_name": f"Trà vằng {tag}",
        "product_set": SET_CODE,
        "star_rank": "4",
        "level": "province",
        "decision_number": f"{tag}/QĐ-UBND-T",
        "decided_on": "15/03/2024",
        "certificate_number": f"QT-{tag}",
        "issued_on": "15/03/2024",
        "expires_on": "15/03/2027",
        "status": "revoked",
        "revoked_on": "20/11/2025",
    }
    path = folder / f"quang-tri-{tag}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow([header_words(key, "vi") for key in COLUMNS])
        for row in (honey, tea):
            writer.writerow([row.get(key, "") for key in COLUMNS])
    return path, honey, tea


def run_import(stack: Stack, path: Path) -> str:
    return stack.ocop("import", "certificates", str(path), "--apply")


def claim(rcall: flows.Transport, email: str) -> flows.Actor:
    """The producer claims the account the import created without a password, as its owner
    would: "forgot password", then the one-time link the email carries (its token read from
    the event registration wrote for the email), then signed in."""
    from services.registration.runtime import Registration

    assert (
        rcall("POST", "/api/v1/auth/token", json={"email": email, "password": "x" * 12}).status
        == 401
    )
    asked = rcall("POST", "/api/v1/auth/password/forgot", json={"email": email})
    assert asked.status == 202, asked.body
    rt = Registration()
    try:
        o = rt.outbox.c
        with rt.db.engine.connect() as conn:
            envelopes = conn.execute(
                select(o.envelope).where(o.type == "account.password_link_issued").order_by(o.id)
            ).all()
    finally:
        rt.close()
    [token] = [e["payload"]["token"] for (e,) in envelopes if e["payload"]["email"] == email]
    claimed = rcall(
        "POST", "/api/v1/auth/password/set", json={"token": token, "password": flows.DEMO_PASSWORD}
    )
    assert claimed.status == 200, claimed.body
    return flows.login(rcall, email)


def file_reevaluation(
    owner: flows.Actor, producer_name: str, number: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The owner's producer named ``producer_name`` files a re-evaluation of certificate
    ``number`` with one document and submits it: the producer, and the dossier as submitted."""
    [producer] = [
        p for p in owner("GET", "/api/v1/producers").body["items"] if p["name"] == producer_name
    ]
    submitted = flows.submitted_dossier(
        owner,
        producer["id"],
        SET_CODE,
        registration_type="re_evaluation",
        certificate_number=number,
    )
    return producer, submitted
