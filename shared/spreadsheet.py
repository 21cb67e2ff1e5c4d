"""Cells of a spreadsheet export that a spreadsheet program must not run (CSV injection).

A text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, LibreOffice and Google Sheets: a council named ``=HYPERLINK(…)`` would become
a live link in the statistician's sheet. As OWASP advises, such a cell is written with a
leading ``'``, which the programs show as text. Numbers stay numbers (a negative number is a
number, not text).
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` as a cell that no spreadsheet program evaluates."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_row(row: dict[str, Any]) -> dict[str, Any]:
    return {key: neutralise(value) for key, value in row.items()}
