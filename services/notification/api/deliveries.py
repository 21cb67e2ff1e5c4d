"""The delivery log: of a dossier, of the caller, the failed ones, and a replay."""

from __future__ import annotations

import uuid
from typing import Any

from flask_smorest import Blueprint

from services.notification.runtime import current
from services.notification.schemas.deliveries import (
    DeliveryList,
    DeliveryOut,
    DossierDeliveriesArgs,
    PageArgs,
)
from services.notification.service import deliveries as delivery_service
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint("deliveries", __name__, url_prefix="/api/v1", description="Email deliveries")


@blp.route("/deliveries", methods=["GET"])
@blp.arguments(DossierDeliveriesArgs, location="query")
@blp.response(200, DeliveryList)
@document_errors(blp, *READ_ERRORS, 422)
def for_dossier(args: dict[str, Any]) -> Any:
    """Who was told what about a dossier (its participants, officials in reach, auditors),
    oldest first (cursor pagination)"""
    with current().db.reader() as session:
        items, cursor = delivery_service.for_dossier(
            session=session, principal=current_principal(), **args
        )
    return {"items": items, "next": cursor}


@blp.route("/deliveries/mine", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, DeliveryList)
@document_errors(blp, 401, 422)
def mine(args: dict[str, Any]) -> Any:
    """The emails addressed to you, newest first (cursor pagination)"""
    with current().db.reader() as session:
        items, cursor = delivery_service.mine(
            session=session, principal=current_principal(), **args
        )
    return {"items": items, "next": cursor}


@blp.route("/deliveries/failed", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, DeliveryList)
@document_errors(blp, 401, 403, 422)
def failed(args: dict[str, Any]) -> Any:
    """Emails that finally failed, newest first (operators; cursor pagination)"""
    with current().db.reader() as session:
        items, cursor = delivery_service.failed(
            session=session, principal=current_principal(), **args
        )
    return {"items": items, "next": cursor}


@blp.route("/deliveries/<uuid:delivery_id>/replay", methods=["POST"])
@blp.response(200, DeliveryOut)
@document_errors(blp, *WRITE_ERRORS)
def replay(delivery_id: uuid.UUID) -> Any:
    """Queue a failed email again, under the same Message-ID (operators)"""
    with current().db.unit_of_work() as uow:
        row = delivery_service.replay(
            uow=uow, principal=current_principal(), delivery_id=delivery_id
        )
        uow.commit()
    return row
