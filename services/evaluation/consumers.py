"""Handlers of the events the evaluation service listens to."""

from __future__ import annotations

from services.evaluation.models import unit_map_tables
from services.evaluation.service import cases, due_dates, imports, powers
from shared import calendar_store, unit_map
from shared.messaging.consumer import Bulk, Handler
from shared.runtime import only_participants

HANDLERS: dict[str, Handler | Bulk] = {
    # The bulk of a backlog: written many at a time (ADR 0008).
    "dossier.accepted": Bulk(cases.on_dossiers_accepted, cases.ACCEPTED_READS),
    "dossier.document_added": Bulk(cases.on_documents_added, cases.DOCUMENT_READS),
    "dossier.withdrawn": cases.on_dossier_withdrawn,
    # Certificates issued before the platform, kept like ones issued here (no email); a
    # province's file at a time (ADR 0008).
    "certificate.imported": Bulk(imports.on_certificates_imported, imports.IMPORTED_READS),
    # A commune officer handed the dossier on (its handler does the commune review).
    "dossier.assigned": only_participants,
    "account.created": powers.on_account,
    "account.updated": powers.on_account,
    "account.signed_out": powers.on_signed_out,
    # A year's notice of days off, the same in every service that counts days (ADR 0010);
    # the due dates stored for open cases are counted again on it.
    calendar_store.EVENT_TYPE: due_dates.on_notice_loaded,
    # The map of the 2025 merger, kept as registration loaded it (shared.unit_map).
    unit_map.EVENT_TYPE: unit_map.handler(unit_map_tables),
}
