"""Certificates endpoints (being built in this session)."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint("certificates", __name__, url_prefix="/api/v1", description="Certificates")
