"""Handlers of the events the evaluation service listens to."""

from __future__ import annotations

from services.evaluation.service import cases
from shared.messaging.consumer import Handler

HANDLERS: dict[str, Handler] = {
    "dossier.accepted": cases.on_dossier_accepted,
    "dossier.document_added": cases.on_document_added,
    "dossier.withdrawn": cases.on_dossier_withdrawn,
    "account.created": cases.on_account,
    "account.updated": cases.on_account,
}
