"""The portal's pages of a certificate issued before the platform (imported by registration,
kept by evaluation): the producer's dossier, the printable certificate and decision (no
evaluation behind them: what is known, and that it was issued before the platform), the public
check, and the recognising authority's revocation form — never an error page."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

from sqlalchemy import select

from services.registration.models import Account
from services.registration.service import accounts as account_service
from tests.integration.registration.test_certificate_import import as_csv, rows, send
from tests.support import flows
from tests.support.cases import deliver


def imported(registration: Any, evaluation: Any, admin: flows.Actor) -> dict[str, str]:
    """One 4★ certificate of a new producer imported and carried to evaluation; the owner's
    account claimed (its password set, as the reset link would)."""
    [row] = rows(1, certificate_number=f"{uuid.uuid4().hex[:10]}/GCN-UBND")
    data = as_csv([row])
    reply = send(admin, data, apply=True, expected_sha256=hashlib.sha256(data).hexdigest())
    assert reply.status == 200 and reply.body["created"] == 1, reply.body
    with registration.db.unit_of_work() as uow:
        owner = uow.session.execute(
            select(Account).where(Account.email == row["producer_email"])
        ).scalar_one()
        owner.password_hash = account_service.hash_password(flows.DEMO_PASSWORD)
        uow.commit()
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        envelopes = conn.execute(
            select(o.envelope).where(o.type == "certificate.imported").order_by(o.id.desc())
        ).all()
    [envelope] = [e for (e,) in envelopes if e["payload"]["number"] == row["certificate_number"]]
    assert deliver(registration, evaluation, envelope["dossier_id"]) == 1
    return {
        "number": row["certificate_number"],
        "dossier_id": envelope["dossier_id"],
        "email": row["producer_email"],
        "decision_number": row["decision_number"],
    }


def test_the_pages_of_an_imported_certificate(
    new_browser: Any, admin: flows.Actor, registration: Any, evaluation: Any
) -> None:
    cert = imported(registration, evaluation, admin)
    number, dossier_id = cert["number"], cert["dossier_id"]

    public = new_browser()
    page = public.get(f"/certificates/check?number={number}")
    assert public.status == 200 and number in page
    assert "data-imported" in page and "trước khi" in page  # issued before the platform
    # Its page in the public register, though its number holds a slash.
    page = public.get(f"/products/{number}")
    assert public.status == 200 and number in page

    owner = new_browser()
    owner.sign_in(cert["email"])
    page = owner.get(f"/dossiers/{dossier_id}")
    assert owner.status == 200 and number in page
    page = owner.get(f"/certificates/of/{dossier_id}")
    assert owner.status == 200 and number in page
    assert "trước khi" in page  # issued before the platform, said in words
    page = owner.get(f"/certificates/of/{dossier_id}/decision")
    assert owner.status == 200 and cert["decision_number"] in page
    assert "trước khi" in page
    assert "Căn cứ kết quả đánh giá, phân hạng của Hội đồng" not in page  # no council here
    for path in (
        f"/certificates/of/{dossier_id}.pdf",
        f"/certificates/of/{dossier_id}/decision.pdf",
    ):
        pdf = owner.client.get(path)
        assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF"), path
    english = owner.get(f"/certificates/of/{dossier_id}/decision?lang=en")
    assert owner.status == 200 and "before" in english
    owner.get(f"/cases/{dossier_id}/commune-report")  # no commune review: none to show
    assert owner.status == 404

    # The province's chair (it recognised 4★) opens the revocation form of the slashed number.
    chair = flows.create_official(admin, ["decision_authority"], "pre2025:province:45")
    authority = new_browser()
    authority.sign_in(chair.account["email"])
    page = authority.get(f"/dossiers/{dossier_id}")  # on the case, read-only, in both services
    assert authority.status == 200 and f"/certificates/{number}/revoke" in page
    page = authority.get(f"/certificates/{number}/revoke")
    assert authority.status == 200 and number in page
