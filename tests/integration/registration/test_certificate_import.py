"""Importing certificates issued before the platform, over HTTP: the dry run lists problems by
row and column and writes nothing; applying writes producers, owners without a usable password,
accepted and recognised dossiers, the certificates read model, one ``certificate.imported``
event per row and the audit row, all in one transaction; the same file again changes nothing;
the case file records the event naming the file and its SHA-256."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
from typing import Any

import pytest
from sqlalchemy import func, select

from services.registration.models import (
    Account,
    Certificate,
    CertificateImport,
    Dossier,
    LedgerEntry,
    Producer,
)
from services.registration.service import certificate_import
from shared.import_problems import words
from tests.support import flows
from tests.support.cases import deliver

PATH = "/api/v1/imports/certificates"


def rows(count: int = 2, **overrides: Any) -> list[dict[str, str]]:
    """``count`` clean rows of one new producer (a province's 4★ of 2024, in commune 19333)."""
    tag = uuid.uuid4().hex[:8]
    made = []
    for n in range(count):
        row = {
            **certificate_import.EXAMPLE,
            "product_name": f"Sản phẩm {tag} {n}",
            "producer_name": f"HTX {tag}",
            "producer_tax_no": f"32{int(tag, 16) % 10**8:08d}",
            "producer_email": f"htx-{tag}@example.vn",
            "certificate_number": f"QT-{tag}-{n}",
        }
        row.update(overrides)
        made.append(row)
    return made


def as_csv(table: list[dict[str, str]], lang: str = "vi") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([certificate_import.header_words(k, lang) for k in certificate_import.COLUMNS])
    for row in table:
        writer.writerow([row.get(k, "") for k in certificate_import.COLUMNS])
    return out.getvalue().encode()


def send(actor: flows.Actor, data: bytes, *, name: str = "certs.csv", **form: Any) -> flows.Reply:
    return actor(
        "POST",
        PATH,
        files={"file": (name, data, "text/csv")},
        data={k: str(v).lower() if isinstance(v, bool) else v for k, v in form.items()},
    )


def counts(registration: Any) -> dict[str, int]:
    with registration.db.reader() as session:
        return {
            model.__tablename__: session.execute(
                select(func.count()).select_from(model)
            ).scalar_one()
            for model in (Account, Producer, Dossier, Certificate, CertificateImport)
        } | {
            "outbox": session.execute(
                select(func.count()).select_from(registration.outbox)
            ).scalar_one()
        }


def test_a_dry_run_reports_and_writes_nothing(registration: Any, admin: flows.Actor) -> None:
    before = counts(registration)
    reply = send(admin, as_csv(rows(3)))
    assert reply.status == 200, reply.body
    assert reply.body["rows"] == 3 and reply.body["created"] == 3
    assert reply.body["problems"] == [] and reply.body["applied"] is False
    assert counts(registration) == before


def test_problems_by_row_and_column(admin: flows.Actor) -> None:
    table = rows(4)
    table[0]["star_rank"] = "6"
    table[1]["expires_on"] = "01/01/2020"
    table[2]["certificate_number"] = table[3]["certificate_number"]
    table[3]["commune"] = "99999"
    reply = send(admin, as_csv(table))
    assert reply.status == 200, reply.body
    found = {(p["row"], p["column"], p["code"]) for p in reply.body["problems"]}
    assert found == {
        (2, "star_rank", "import.bad_rank"),
        (3, "expires_on", "import.expiry_not_after_issue"),
        (5, "certificate_number", "import.duplicate_number"),
        (5, "commune", "import.unknown_commune"),
    }


def test_apply_writes_everything_once(
    registration: Any, admin: flows.Actor, call: flows.Transport
) -> None:
    table = rows(2)
    data = as_csv(table)
    digest = hashlib.sha256(data).hexdigest()
    reply = send(admin, data, apply=True, expected_sha256=digest)
    assert reply.status == 200, reply.body
    assert reply.body["created"] == 2 and reply.body["applied"] is True
    assert reply.body["producers_created"] == 1 and reply.body["accounts_created"] == 1
    email = table[0]["producer_email"]
    with registration.db.reader() as session:
        owner = session.execute(select(Account).where(Account.email == email)).scalar_one()
        assert owner.password_hash == "" and owner.roles == ["applicant"]
        dossiers = list(
            session.execute(
                select(Dossier).join(Producer).where(Producer.owner_account_id == owner.id)
            ).scalars()
        )
        assert {d.status for d in dossiers} == {"accepted"}
        assert {d.decided_outcome for d in dossiers} == {"recognised"}
        assert all(d.product_code and d.product_code.startswith("45-19333-") for d in dossiers)
        assert sorted(d.imported["row"] for d in dossiers) == [2, 3]
        assert {d.imported["sha256"] for d in dossiers} == {digest}
        number = table[0]["certificate_number"]
        certificate = session.get(Certificate, number)
        assert certificate is not None and certificate.status == "valid"
        assert certificate.star_rank == 4
        audit = session.execute(
            select(CertificateImport).where(CertificateImport.sha256 == digest)
        ).scalar_one()
        assert (audit.rows, audit.created, audit.unchanged) == (2, 2, 0)
        events = [
            e
            for (e,) in session.execute(
                select(registration.outbox.c.envelope).where(
                    registration.outbox.c.type == "certificate.imported"
                )
            )
            if e["payload"]["source_sha256"] == digest
        ]
    assert len(events) == 2
    assert {e["payload"]["authority_unit"] for e in events} == {"pre2025:province:45"}
    # The owner has no usable password: signing in is refused cleanly.
    refused = call("POST", "/api/v1/auth/token", json={"email": email, "password": ""})
    assert refused.status in (401, 422), refused.body
    refused = call("POST", "/api/v1/auth/token", json={"email": email, "password": "x" * 12})
    assert refused.status == 401, refused.body

    # The same file again: every row unchanged, nothing written, nothing announced.
    before = counts(registration)
    again = send(admin, data, apply=True)
    assert again.status == 200, again.body
    assert (again.body["created"], again.body["unchanged"]) == (0, 2)
    assert counts(registration) == before

    # The case file records the event, naming the file and its SHA-256.
    dossier_id = events[0]["dossier_id"]
    deliver(registration, registration, dossier_id)
    with registration.db.reader() as session:
        bodies = session.execute(
            select(LedgerEntry.body).where(LedgerEntry.dossier_id == uuid.UUID(dossier_id))
        ).scalars()
        entries = [json.loads(b) for b in bodies]
    imported = [e for e in entries if e["kind"] == "certificate.imported"]
    assert len(imported) == 1
    assert imported[0]["payload"]["source_file"] == "certs.csv"
    assert imported[0]["payload"]["source_sha256"] == digest


def test_the_same_number_with_other_facts_is_a_conflict(admin: flows.Actor) -> None:
    table = rows(1)
    assert send(admin, as_csv(table), apply=True).status == 200
    table[0]["star_rank"] = "5"
    table[0]["level"] = "national"
    reply = send(admin, as_csv(table))
    assert [(p["row"], p["column"], p["code"]) for p in reply.body["problems"]] == [
        (2, "certificate_number", "import.conflict")
    ]
    # The facts it differs in, named by their columns in the reader's language.
    [problem] = reply.body["problems"]
    assert problem["params"]["fields"] == ["star_rank", "level"]
    said = words(problem["code"], problem["params"], "vi")
    assert "Hạng sao, Cấp công nhận" in said and "star_rank" not in said


def test_apply_with_problems_writes_nothing(registration: Any, admin: flows.Actor) -> None:
    table = rows(3)
    table[2]["level"] = "district"  # a 2024 4★ is the province's
    before = counts(registration)
    reply = send(admin, as_csv(table), apply=True)
    assert reply.status == 422, reply.body
    assert reply.headers["Content-Type"].startswith("application/problem+json")
    assert reply.body["code"] == "import.has_problems"
    assert [(p["row"], p["column"], p["code"]) for p in reply.body["params"]["problems"]] == [
        (4, "level", "import.level_mismatch")
    ]
    assert counts(registration) == before


def test_another_file_than_the_dry_run_is_refused(registration: Any, admin: flows.Actor) -> None:
    before = counts(registration)
    reply = send(admin, as_csv(rows(1)), apply=True, expected_sha256="0" * 64)
    assert reply.status == 422 and reply.body["code"] == "import.other_file"
    assert counts(registration) == before


def test_not_a_table_and_too_large(admin: flows.Actor) -> None:
    reply = send(admin, flows.PDF, name="certs.pdf")
    assert reply.status == 415 and reply.body["code"] == "import.not_tabular"


def test_only_administrators(call: flows.Transport, commune_officer: flows.Actor) -> None:
    data = as_csv(rows(1))
    anonymous = call("POST", PATH, files={"file": ("c.csv", data, "text/csv")})
    assert anonymous.status == 401, anonymous.body
    nobody = call("POST", PATH)  # not even a file: who asks is settled first
    assert nobody.status == 401, nobody.body
    refused = send(commune_officer, data)
    assert refused.status == 403 and refused.body["code"] == "import.admins_only"


def test_the_command_line(
    registration: Any,
    registration_app: Any,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from services import cli

    good = tmp_path / "good.csv"
    good.write_bytes(as_csv(rows(2), lang="en"))
    bad_rows = rows(2)
    bad_rows[1]["decided_on"] = "32/13/2024"
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv(bad_rows))
    before = counts(registration)

    assert cli.main(["import", "certificates", str(bad), "--language", "en"]) == 1
    err = capsys.readouterr().err
    assert "Row 3, Decision date: “32/13/2024” is not a date (write dd/mm/yyyy)." in err
    assert cli.main(["import", "certificates", str(bad), "--apply"]) == 1
    assert "Dòng 3, Ngày quyết định:" in capsys.readouterr().err
    assert cli.main(["import", "certificates", str(good)]) == 0
    assert "2 dòng, 2 sẽ tạo mới" in capsys.readouterr().out
    assert cli.main(["import", "certificates", str(good), "--language", "en"]) == 0
    assert "2 to create" in capsys.readouterr().out
    assert counts(registration) == before

    assert cli.main(["import", "certificates", str(good), "--apply", "--language", "en"]) == 0
    assert "2 created" in capsys.readouterr().out
    assert cli.main(["import", "certificates", str(good), "--apply", "--language", "en"]) == 0
    assert "0 created, 2 unchanged" in capsys.readouterr().out
    with registration.db.reader() as session:
        imported = session.execute(
            select(CertificateImport).where(CertificateImport.file_name == "good.csv")
        ).scalar_one()
        admin_id = session.execute(
            select(Account.id).where(Account.email == "admin@ocop.local")
        ).scalar_one()
    assert imported.imported_by == admin_id and imported.created == 2


def test_a_number_the_platform_issued_is_a_conflict(
    registration: Any, admin: flows.Actor, call: flows.Transport, commune_officer: flows.Actor
) -> None:
    from services.registration.service.certificates_read_model import record_certificate
    from tests.support.cases import accepted_dossier

    _, dossier = accepted_dossier(call, commune_officer)
    number = f"OCOP-45-2026-{uuid.uuid4().int % 10**5:05d}"
    with registration.db.unit_of_work() as uow:
        record_certificate(
            uow=uow,
            event_type="certificate.issued",
            payload={
                "number": number,
                "dossier_id": dossier["id"],
                "product_name": dossier["product_name"],
                "star_rank": 4,
                "issued_on": "2026-01-10",
                "expires_on": "2029-01-10",
            },
        )
        uow.commit()
    reply = send(admin, as_csv(rows(1, certificate_number=number)))
    assert [(p["row"], p["column"], p["code"]) for p in reply.body["problems"]] == [
        (2, "certificate_number", "import.conflict")
    ]


def test_an_existing_producer_is_reused(registration: Any, admin: flows.Actor) -> None:
    owner = flows.register(admin.call, "applicant")
    tax_no = f"31{uuid.uuid4().int % 10**8:08d}"
    body = {**flows.producer_body(), "business_registration_no": tax_no}
    made = owner("POST", "/api/v1/producers", json=body)
    assert made.status == 201, made.body
    table = rows(1, producer_tax_no=tax_no, producer_email=owner.account["email"])
    reply = send(admin, as_csv(table), apply=True)
    assert reply.status == 200, reply.body
    assert (reply.body["producers_created"], reply.body["accounts_created"]) == (0, 0)
    with registration.db.reader() as session:
        certificate = session.get(Certificate, table[0]["certificate_number"])
        assert certificate is not None
        assert str(certificate.producer_id) == made.body["id"]


def test_a_workbook_over_http(admin: flows.Actor) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    keys = list(certificate_import.COLUMNS)
    sheet.append([certificate_import.header_words(k, "en") for k in keys])
    for row in rows(2):
        sheet.append([row[k] for k in keys])
    out = io.BytesIO()
    book.save(out)
    reply = admin(
        "POST",
        PATH,
        files={"file": ("certs.xlsx", out.getvalue(), "application/octet-stream")},
    )
    assert reply.status == 200, reply.body
    assert (reply.body["rows"], reply.body["created"], reply.body["problems"]) == (2, 2, [])
