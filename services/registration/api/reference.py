"""Reference data: administrative units and product sets."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from services.registration.runtime import current
from services.registration.schemas.paging import KeyPageArgs
from services.registration.schemas.reference import ProductSetPage, UnitArgs, UnitPage
from services.registration.service import dossiers as dossier_service
from services.registration.service import units as unit_service
from shared.paging import page
from shared.web import document_errors, public

blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data")


@blp.route("/units")
@public(blp)
@blp.arguments(UnitArgs, location="query")
@blp.response(200, UnitPage)
@document_errors(blp, 404, 422)
def units(args: dict[str, Any]) -> Any:
    """Administrative units: those of one level of a tree, or the children of one unit

    ``parent`` is ``tree:level:code`` (``?parent=pre2025:province:45``); a bare code is refused
    (422). A level the tree does not have answers an empty list; a tree not loaded, or a
    parent it does not hold, 404. In code order, a page at a time (the cursor is a code).
    """
    rt = current()
    with rt.db.reader() as session:
        units, cursor = unit_service.children(
            session=session,
            tree=args.get("tree"),
            level=args.get("level"),
            parent=args.get("parent"),
            regime=rt.settings.regime,
            limit=args["limit"],
            after=args.get("after"),
        )
        return {"items": units, "next": cursor}


@blp.route("/product-sets")
@public(blp)
@blp.arguments(KeyPageArgs, location="query")
@blp.response(200, ProductSetPage)
@document_errors(blp, 422)
def product_sets(args: dict[str, Any]) -> Any:
    """The 26 product sets of Decision 26/2026 (Appendix I), by code, a page at a time (the
    cursor is a set code; one page holds them all by default)"""
    after = args.get("after")
    sets = sorted(dossier_service.product_sets().values(), key=lambda s: s.set_code)
    rest = [s for s in sets if after is None or s.set_code > after]
    items, cursor = page(rest, lambda s: s.set_code, limit=args["limit"], after=None)
    return {"items": items, "next": cursor}
