"""Councils, their seats, and evaluation rounds."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from services.evaluation.models import Council
from services.evaluation.runtime import current
from services.evaluation.schemas.councils import (
    CouncilCreateIn,
    CouncilList,
    CouncilListArgs,
    CouncilOut,
    RoundCreateIn,
    RoundDefaultsIn,
    RoundDefaultsOut,
    RoundList,
    RoundListArgs,
    RoundOut,
    SeatIn,
    SeatList,
    SeatListArgs,
    SeatOut,
)
from services.evaluation.service import councils as council_service
from services.evaluation.service import rounds as round_service
from shared.openapi import link, links
from shared.paging import page
from shared.web import READ_ERRORS, WRITE_ERRORS, current_principal, document_errors

blp = Blueprint(
    "councils", __name__, url_prefix="/api/v1", description="Councils and evaluation rounds"
)

_FIELDS = [name for name in CouncilOut().fields if name != "members"]

# What a formed council's answer links to (OpenAPI links).
_COUNCIL = "/api/v1/councils/{council_id}"
_SEATS = f"{_COUNCIL}/members"
_COUNCIL_ID = {"path.council_id": "$response.body#/id"}


def _render(session: Session, councils: list[Council]) -> list[dict[str, Any]]:
    """Councils with their current seats (names included), seats read in one query."""
    seats = council_service.roster(session, [c.id for c in councils])
    return [
        {**{name: getattr(c, name) for name in _FIELDS}, "members": seats[c.id]} for c in councils
    ]


@blp.route("/councils")
class Councils(MethodView):
    @blp.arguments(CouncilListArgs, location="query")
    @blp.response(200, CouncilList)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Councils within your reach (your jurisdiction's, and those you sit on), oldest first
        (cursor pagination)"""
        principal = current_principal()
        with current().db.reader() as session:
            councils, cursor = council_service.list_(
                session=session,
                principal=principal,
                level=args.get("level"),
                unit=args.get("unit"),
                limit=args["limit"],
                after=args.get("after"),
            )
            return {"items": _render(session, councils), "next": cursor}

    @blp.arguments(CouncilCreateIn)
    @blp.response(201, CouncilOut)
    @blp.doc(
        **links(
            201,
            GetCouncil=link("get", _COUNCIL, "The council formed", parameters=_COUNCIL_ID),
            ListSeats=link("get", _SEATS, "Its seats", parameters=_COUNCIL_ID),
            SeatOfficial=link("post", _SEATS, "Seat an official on it", parameters=_COUNCIL_ID),
        )
    )
    @document_errors(blp, 400, 401, 403, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Form a council of your unit (secretariat)"""
        rt = current()
        with rt.db.unit_of_work() as uow:
            council = council_service.create(
                uow=uow, principal=current_principal(), regime=rt.settings.regime, data=data
            )
            rendered = _render(uow.session, [council])[0]
            uow.commit()
        return rendered


@blp.route("/councils/<uuid:council_id>")
@blp.response(200, CouncilOut)
@document_errors(blp, *READ_ERRORS)
def council(council_id: uuid.UUID) -> Any:
    """One council and its current seats"""
    with current().db.reader() as session:
        found = council_service.get(
            session=session, principal=current_principal(), council_id=council_id
        )
        return _render(session, [found])[0]


@blp.route("/councils/<uuid:council_id>/members")
class Members(MethodView):
    @blp.arguments(SeatListArgs, location="query")
    @blp.response(200, SeatList)
    @document_errors(blp, *READ_ERRORS, 422)
    def get(self, args: dict[str, Any], council_id: uuid.UUID) -> Any:
        """The council's seats (chair, secretary, then members); with include_removed, its
        whole membership history. A page at a time; one page holds a council by default"""
        with current().db.reader() as session:
            found = council_service.get(
                session=session, principal=current_principal(), council_id=council_id
            )
            seats = council_service.roster(
                session, [found.id], include_removed=args["include_removed"]
            )
            items, cursor = page(
                seats[found.id], lambda s: s.id, limit=args["limit"], after=args.get("after")
            )
            return {"items": items, "next": cursor}

    @blp.arguments(SeatIn)
    @blp.response(201, SeatOut)
    @blp.doc(
        **links(
            201,
            ListSeats=link(
                "get",
                _SEATS,
                "The council's seats, this one among them",
                parameters={"path.council_id": "$request.path.council_id"},
            ),
            VacateSeat=link(
                "delete",
                f"{_SEATS}/{{account_id}}",
                "Vacate the seat",
                parameters={
                    "path.council_id": "$request.path.council_id",
                    "path.account_id": "$response.body#/account_id",
                },
            ),
        )
    )
    @document_errors(blp, *WRITE_ERRORS)
    def post(self, data: dict[str, Any], council_id: uuid.UUID) -> Any:
        """Seat an official as chair, secretary or member (the council's secretariat)"""
        with current().db.unit_of_work() as uow:
            seat = council_service.add_member(
                uow=uow,
                principal=current_principal(),
                council_id=council_id,
                account_id=data["account_id"],
                role=data["role"],
            )
            uow.commit()
        return seat


@blp.route("/councils/<uuid:council_id>/members/<uuid:account_id>", methods=["DELETE"])
@blp.response(200, SeatOut)
@document_errors(blp, 401, 403, 404)
def remove_member(council_id: uuid.UUID, account_id: uuid.UUID) -> Any:
    """Vacate an official's seat; the seat stays in the council's history"""
    with current().db.unit_of_work() as uow:
        seat = council_service.remove_member(
            uow=uow, principal=current_principal(), council_id=council_id, account_id=account_id
        )
        uow.commit()
    return seat


@blp.route("/rounds")
class Rounds(MethodView):
    @blp.arguments(RoundListArgs, location="query")
    @blp.response(200, RoundList)
    @document_errors(blp, 401, 422)
    def get(self, args: dict[str, Any]) -> Any:
        """Evaluation rounds, in date order, optionally of one level and unit (cursor
        pagination)"""
        with current().db.reader() as session:
            rounds, cursor = round_service.list_(
                session=session,
                principal=current_principal(),
                level=args.get("level"),
                unit=args.get("unit"),
                limit=args["limit"],
                after=args.get("after"),
            )
            return {"items": rounds, "next": cursor}

    @blp.arguments(RoundCreateIn)
    @blp.response(201, RoundOut)
    @blp.doc(
        **links(
            201,
            GetRound=link(
                "get",
                "/api/v1/rounds/{round_id}",
                "The round opened",
                parameters={"path.round_id": "$response.body#/id"},
            ),
        )
    )
    @document_errors(blp, 400, 401, 403, 409, 422)
    def post(self, data: dict[str, Any]) -> Any:
        """Schedule a round at your level (secretariat)"""
        rt = current()
        with rt.db.unit_of_work() as uow:
            round_ = round_service.create(
                uow=uow, principal=current_principal(), regime=rt.settings.regime, data=data
            )
            uow.commit()
        return round_


@blp.route("/rounds/defaults", methods=["POST"])
@blp.arguments(RoundDefaultsIn)
@blp.response(200, RoundDefaultsOut)
@document_errors(blp, 400, 401, 403, 422)
def default_rounds(data: dict[str, Any]) -> Any:
    """Lay down a year's 26/2026 default rounds (idempotent: dates already scheduled are kept)"""
    rt = current()
    with rt.db.unit_of_work() as uow:
        rounds, created = round_service.ensure_defaults(
            uow=uow, principal=current_principal(), regime=rt.settings.regime, **data
        )
        uow.commit()
    return {"items": rounds, "created": created}


@blp.route("/rounds/<uuid:round_id>")
@blp.response(200, RoundOut)
@document_errors(blp, *READ_ERRORS)
def round_item(round_id: uuid.UUID) -> Any:
    """One evaluation round"""
    with current().db.reader() as session:
        return round_service.get(session=session, principal=current_principal(), round_id=round_id)
