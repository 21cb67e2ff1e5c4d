"""Certificates issued before this platform, imported from an operator's file by registration
(``certificate.imported``, one per row): each is kept like a certificate this service issued,
so that its re-evaluation window, reminders, expiry, revocation and its replacement by a new
certificate (an upgrade's or a re-evaluation's) work on it.

The dossier becomes a case already decided at the level that recognised it (``recognised``:
no commune review, council or decision here), and the certificate keeps the file's original
number, decision and dates, its status and the day it was revoked. Nothing is announced: an
import sends nobody an email (no ``certificate.issued``), and the numbering counters are left
alone (the number is the one printed on the certificate).

Idempotent: the same event again is the inbox's duplicate; the same certificate imported again
(a second run over the file, a new event) changes nothing when it says the same. A row that
names a number already kept with other facts is refused (the event is parked for an operator),
never merged into the certificate already there.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select

from services.evaluation.domain.regime import regime_by_name
from services.evaluation.domain.stages import RECOGNISED
from services.evaluation.models import Case, Certificate, certificate_words
from services.evaluation.service import certificates as certificate_service
from services.evaluation.service import register
from shared.db import UnitOfWork, insert_missing, table_of
from shared.events import Event
from shared.levels import level_name
from shared.rubrics.loader import DEFAULT_VERSION

log = logging.getLogger(__name__)

#: The registration type an imported case carries: the procedure that recognised it is not
#: known, and it names no earlier certificate.
FIRST = "first"

# The facts of the certificate a repeated import must agree with.
_SAME = (
    "dossier_id",
    "star_rank",
    "level",
    "authority_unit",
    "decision_number",
    "decided_on",
    "issued_on",
    "expires_on",
)


# The certificate columns an import leaves as a new row has them (one INSERT for all rows).
_CERTIFICATE_DEFAULTS: dict[str, Any] = {
    "revocation_ground": None,
    "revocation_note": None,
    "revocation_found_on": None,
    "revocation_late": None,
    "superseded_by": None,
}


class ImportConflict(Exception):
    """The number is already kept with other facts (another product, another decision)."""


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _certificate_values(p: dict[str, Any], today: date) -> dict[str, Any]:
    """The certificate as the file states it; a certificate stated valid whose expiry has
    passed is kept expired (as the daily task would mark it), without telling anyone."""
    expires_on = date.fromisoformat(p["expires_on"])
    status = p["status"]
    if status == certificate_service.VALID and expires_on < today:
        status = certificate_service.EXPIRED
    revoked = status == certificate_service.REVOKED
    return {
        "number": p["number"],
        "dossier_id": uuid.UUID(p["dossier_id"]),
        "evaluation_id": None,
        "product_name": p["product_name"],
        "product_code": p["product_code"],
        "producer_name": p["producer_name"],
        "star_rank": p["star_rank"],
        "level": level_name(p["level"]),
        "authority_unit": p["authority_unit"],
        "decision_number": p["decision_number"],
        "decided_on": date.fromisoformat(p["decided_on"]),
        "decided_by": None,
        "issued_on": date.fromisoformat(p["issued_on"]),
        "expires_on": expires_on,
        "status": status,
        # The day it was revoked, when the file says it (no day is made up).
        "revoked_on": _day(p.get("revoked_on")) if revoked else None,
        "imported": True,
    }


def _case_row(p: dict[str, Any], now: datetime) -> dict[str, Any]:
    regime = regime_by_name(p["regime"])
    return dict(
        dossier_id=uuid.UUID(p["dossier_id"]),
        version=1,
        producer_id=uuid.UUID(p["producer_id"]),
        producer_name=p["producer_name"],
        owner_account_id=uuid.UUID(p["owner_account_id"]),
        consultant_account_ids=p.get("consultant_account_ids") or [],
        product_name=p["product_name"],
        product_set_code=p["product_set_code"],
        product_code=p["product_code"],
        registration_type=FIRST,
        # No sheet was scored here; the version in force keeps any page that shows one working.
        rubric_version=DEFAULT_VERSION,
        regime=regime.name,
        unit_tree=p["unit_tree"],
        province_code=p["province_code"],
        district_code=p["district_code"],
        commune_code=p["commune_code"],
        self_assessment={},
        previous_certificate=None,
        filed_on=None,
        decision_due_on=None,
        decision_counted_from=None,
        level=level_name(p["level"]),
        stage=RECOGNISED,
        pending_rank=None,
        imported=True,
        opened_at=now,
        updated_at=now,
    )


#: What the handler reads of the events' payloads (and all that is validated).
IMPORTED_READS = frozenset(
    {
        "dossier_id",
        "producer_id",
        "producer_name",
        "owner_account_id",
        "consultant_account_ids",
        "product_name",
        "product_set_code",
        "product_code",
        "regime",
        "unit_tree",
        "province_code",
        "district_code",
        "commune_code",
        "level",
        "number",
        "star_rank",
        "authority_unit",
        "decision_number",
        "decided_on",
        "issued_on",
        "expires_on",
        "status",
        "revoked_on",
        "source_file",
        "source_row",
    }
)


def _check_same(number: str, held: dict[str, Any], values: dict[str, Any]) -> None:
    differing = [name for name in _SAME if held[name] != values[name]]
    if differing:
        raise ImportConflict(
            f"certificate {number} is kept already with other {', '.join(differing)}"
        )


def on_certificates_imported(uow: UnitOfWork, events: list[Event]) -> None:
    """Keep each imported certificate and its case, a province's file at a time: one read of
    the numbers already kept, one insert each of the cases, certificates and register words
    (a bulk handler, ADR 0008). A number kept with other facts fails the batch; the inbox then
    applies its events one by one, and only that one is refused."""
    session = uow.session
    today, now = certificate_service.today(), datetime.now(UTC)
    wanted = [(event.payload, _certificate_values(event.payload, today)) for event in events]
    numbers = sorted({values["number"] for _, values in wanted})
    kept = {
        row.number: {name: getattr(row, name) for name in _SAME}
        for row in session.execute(
            select(Certificate).where(Certificate.number.in_(numbers))
        ).scalars()
    }
    fresh: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for p, values in wanted:
        held = kept.get(values["number"])
        if held is not None:
            _check_same(values["number"], held, values)
            continue  # imported before: nothing new (its later changes here stand)
        kept[values["number"]] = {name: values[name] for name in _SAME}
        fresh.append((p, values))
    if not fresh:
        return
    cases = [_case_row(p, now) for p, _ in fresh]
    insert_missing(session, table_of(Case), cases, unique=["dossier_id"])
    by_dossier = {row["dossier_id"]: SimpleNamespace(**row) for row in cases}
    rows, words = [], []
    for _, values in fresh:
        names = {k: values[k] for k in ("number", "product_name", "producer_name")}
        rows.append(
            {
                **_CERTIFICATE_DEFAULTS,
                **values,
                **register.columns(**names, case=by_dossier[values["dossier_id"]]),
            }
        )
        words.extend(register.word_rows(**names))
    session.execute(insert(table_of(Certificate)), rows)
    if words:
        session.execute(insert(certificate_words), words)
    # One line a batch, not one a row: a province's file is thousands of rows.
    first = fresh[0][0]
    log.info(
        "%d imported certificates kept (the first: %s row %s)",
        len(fresh),
        first["source_file"],
        first["source_row"],
    )
