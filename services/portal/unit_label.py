"""An administrative unit named for people on a page: ``pre2025:district:461`` reads "Thành phố
Đông Hà" (in English "Đông Hà City"), ``national`` the national level; a reference the trees do
not know is shown as it is rather than hidden."""

from __future__ import annotations

from services.portal.formal import unit_name
from services.portal.i18n import label
from shared.units.lookup import by_ref


def unit_label(ref: str | None) -> str:
    if not ref:
        return "—"
    if ref == "national":
        return label("level", ref)
    row = by_ref(ref)
    return unit_name(row.name) if row else ref
