"""The caller's own notification preferences."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from services.notification.runtime import current
from services.notification.schemas.preferences import PreferencesIn, PreferencesOut
from services.notification.service import preferences as preference_service
from shared.web import current_principal, document_errors

blp = Blueprint("preferences", __name__, url_prefix="/api/v1", description="Preferences")


@blp.route("/preferences/me", methods=["GET"])
@blp.response(200, PreferencesOut)
@document_errors(blp, 401)
def get_mine() -> Any:
    """Your language and digest choice"""
    with current().db.reader() as session:
        return preference_service.get(session=session, principal=current_principal())


@blp.route("/preferences/me", methods=["PUT"])
@blp.arguments(PreferencesIn)
@blp.response(200, PreferencesOut)
@document_errors(blp, 400, 401, 422)
def put_mine(data: dict[str, Any]) -> Any:
    """Change your language and/or digest choice"""
    with current().db.unit_of_work() as uow:
        result = preference_service.update(
            uow=uow,
            principal=current_principal(),
            language=data.get("language"),
            digest=data.get("digest"),
        )
        uow.commit()
    return result
