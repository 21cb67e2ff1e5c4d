"""Product codes printed on the score sheet: T-X-NNN-YYYY (province, commune, serial, year)."""

from __future__ import annotations

import re

PATTERN = re.compile(r"^(\d{2})-(\d{5})-(\d{3,})-(\d{4})$")


def format_product_code(*, province_code: str, commune_code: str, serial: int, year: int) -> str:
    """The code of the ``serial``-th product accepted by a commune in ``year``."""
    if serial < 1:
        raise ValueError("serial numbers start at 1")
    return f"{province_code}-{commune_code}-{serial:03d}-{year:04d}"
