"""Administrative units (legacy three-tier and current two-tier trees) as data rows."""

from .sources import (
    CURRENT_TREE,
    LEGACY_TREE,
    UnitImportError,
    UnitRow,
    iter_current_units,
    iter_legacy_units,
    legacy_csv_path,
    read_legacy_csv,
    subtree,
)

__all__ = [
    "CURRENT_TREE",
    "LEGACY_TREE",
    "UnitImportError",
    "UnitRow",
    "iter_current_units",
    "iter_legacy_units",
    "legacy_csv_path",
    "read_legacy_csv",
    "subtree",
]
