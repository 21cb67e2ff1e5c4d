"""Product codes given when the commune accepts a dossier: one counter per commune and year
(table ``product_code_counters``), formatted by domain/product_code.py."""

from __future__ import annotations

from services.registration.domain.product_code import format_product_code
from services.registration.models import Dossier, ProductCodeCounter
from shared import calendar
from shared.db import UnitOfWork, dialect_insert


def assign(uow: UnitOfWork, dossier: Dossier) -> str:
    """The next code of the dossier's commune this year (the upsert locks its counter)."""
    year = calendar.today().year
    insert = dialect_insert(uow.session)
    table = ProductCodeCounter.__table__
    stmt = (
        insert(table)
        .values(
            unit_tree=dossier.unit_tree, commune_code=dossier.commune_code, year=year, last_serial=1
        )
        .on_conflict_do_update(
            index_elements=["unit_tree", "commune_code", "year"],
            set_={"last_serial": table.c.last_serial + 1},
        )
        .returning(table.c.last_serial)
    )
    serial = uow.session.execute(stmt).scalar_one()
    return format_product_code(
        province_code=dossier.province_code,
        commune_code=dossier.commune_code,
        serial=serial,
        year=year,
    )
