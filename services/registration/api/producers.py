"""Producers and their consultants."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from services.registration.runtime import current
from services.registration.schemas.paging import PageArgs
from services.registration.schemas.producers import (
    ConsultantGrantIn,
    ProducerIn,
    ProducerOut,
    ProducerPage,
)
from services.registration.service import producers as producer_service
from shared.openapi import link, links
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint("producers", __name__, url_prefix="/api/v1/producers", description="Producers")

_ONE = "/api/v1/producers/{producer_id}"
_ID = {"path.producer_id": "$response.body#/id"}


@blp.route("")
class Producers(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, ProducerPage)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Producers within your reach, newest first, a page at a time"""
        with current().db.reader() as session:
            items, cursor = producer_service.list_(
                session=session, principal=current_principal(), **args
            )
            return {"items": ProducerOut(many=True).dump(items), "next": cursor}

    @blp.arguments(ProducerIn)
    @blp.response(201, ProducerOut)
    @blp.doc(
        **links(
            201,
            GetProducer=link("get", _ONE, "The producer registered", parameters=_ID),
            GrantConsultant=link(
                "post", f"{_ONE}/consultants", "Grant a consultant its dossiers", parameters=_ID
            ),
            OpenDossier=link(
                "post",
                "/api/v1/dossiers",
                "Open a draft dossier for one of its products",
                body={"producer_id": "$response.body#/id"},
            ),
        )
    )
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any]) -> Any:
        """Register the producer you represent (applicants)"""
        rt = current()
        with rt.db.unit_of_work() as uow:
            producer = producer_service.create(
                uow=uow, principal=current_principal(), regime=rt.settings.regime, data=data
            )
            uow.commit()
        return producer


@blp.route("/<uuid:producer_id>")
@blp.response(200, ProducerOut)
@document_errors(blp, *READ_ERRORS)
def get_producer(producer_id: uuid.UUID) -> Any:
    """One producer"""
    with current().db.reader() as session:
        return producer_service.get(
            session=session, principal=current_principal(), producer_id=producer_id
        )


@blp.route("/<uuid:producer_id>/consultants", methods=["POST"])
@blp.arguments(ConsultantGrantIn)
@blp.response(200, ProducerOut)
@document_errors(blp, *WRITE_ERRORS)
def set_consultant(data: dict[str, Any], producer_id: uuid.UUID) -> Any:
    """Grant (or withdraw) a consultant's access to your dossiers"""
    with current().db.unit_of_work() as uow:
        producer = producer_service.set_consultant(
            uow=uow, principal=current_principal(), producer_id=producer_id, **data
        )
        uow.commit()
        return ProducerOut().dump(producer)
