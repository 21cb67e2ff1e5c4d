"""Reference data: administrative units and product sets."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from services.registration.runtime import current
from services.registration.schemas.reference import ProductSetOut, UnitArgs, UnitOut
from services.registration.service import dossiers as dossier_service
from services.registration.service import units as unit_service
from shared.web import document_errors, public

blp = Blueprint("reference", __name__, url_prefix="/api/v1", description="Reference data")


@blp.route("/units")
@public(blp)
@blp.arguments(UnitArgs, location="query")
@blp.response(200, UnitOut(many=True))
@document_errors(blp, 404, 422)
def units(args: dict[str, Any]) -> Any:
    """Administrative units: those of one level of a tree, or the children of one unit

    ``parent`` is ``tree:level:code`` (``?parent=pre2025:province:45``); a bare code is refused
    (422). A level the tree does not have answers an empty list; a tree not loaded, or a
    parent it does not hold, 404.
    """
    rt = current()
    with rt.db.reader() as session:
        return unit_service.children(
            session=session,
            tree=args.get("tree"),
            level=args.get("level"),
            parent=args.get("parent"),
            regime=rt.settings.regime,
        )


@blp.route("/product-sets")
@public(blp)
@blp.response(200, ProductSetOut(many=True))
def product_sets() -> Any:
    """The 26 product sets of Decision 26/2026 (Appendix I)"""
    return list(dossier_service.product_sets().values())
