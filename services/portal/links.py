"""Absolute links the portal hands out (a certificate's QR code, the check link printed under
it): always on the portal's configured public address (``OCOP_PORTAL_URL``), never on the Host
header of the request, which whoever sends the request chooses."""

from __future__ import annotations

from typing import Any

from flask import current_app, url_for


def public_url(endpoint: str, **values: Any) -> str:
    """``endpoint``'s address under the configured public URL of the portal."""
    base = current_app.extensions["portal_settings"].public_url.rstrip("/")
    return f"{base}{url_for(endpoint, **values)}"
