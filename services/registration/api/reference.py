"""Reference data: administrative units and product sets."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from services.registration.runtime import current
from services.registration.schemas import ProductSetOut, UnitArgs, UnitOut
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
    """Administrative units: the provinces of a tree, or the children of one unit"""
    with current().db.reader() as session:
        return unit_service.children(
            session=session,
            tree=args["tree"],
            level=args.get("level"),
            parent_code=args.get("parent"),
        )


@blp.route("/product-sets")
@public(blp)
@blp.response(200, ProductSetOut(many=True))
def product_sets() -> Any:
    """The 26 product sets of Decision 26/2026 (Appendix I)"""
    return list(dossier_service.product_sets().values())
