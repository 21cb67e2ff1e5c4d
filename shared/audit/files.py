"""Reconciliation from export files (``ocop audit reconcile --from DIR``): an auditor given each
service's ``ocop audit export-state`` compares them without access to any database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from shared.audit import state as s
from shared.audit.reconcile import Reconciliation, reconcile

#: The services whose state the ledger records, in the order they are compared.
SERVICES = ("registration", "evaluation", "notification")


class ExportsError(ValueError):
    """The directory does not hold one export of each service, all of the same dossiers."""


def _records(path: Path) -> Iterator[s.Record]:
    with path.open(encoding="utf-8") as lines:
        yield from s.read(lines)


def _header(path: Path) -> s.Header:
    first = next(_records(path), None)
    if not isinstance(first, s.Header):
        raise ExportsError(f"{path}: empty")
    return first


def exports(directory: Path) -> dict[str, Path]:
    """Each service's export in ``directory`` (its ``*.jsonl`` files, told apart by header)."""
    found: dict[str, Path] = {}
    scopes: set[tuple[str, ...] | None] = set()
    for path in sorted(directory.glob("*.jsonl")):
        header = _header(path)
        if header.service in found:
            raise ExportsError(
                f"{path} and {found[header.service]}: two exports of {header.service}"
            )
        found[header.service] = path
        scopes.add(header.dossiers)
    missing = [service for service in SERVICES if service not in found]
    if missing:
        raise ExportsError(f"{directory}: no export of {', '.join(missing)}")
    if len(scopes) > 1:
        raise ExportsError(f"{directory}: the exports are not of the same dossiers")
    return found


def reconcile_exports(directory: Path) -> Reconciliation:
    """``reconcile`` over the exports in ``directory``; registration's is read twice, once for
    the ledger's view and once for its state, so neither is held in memory."""
    paths = exports(directory)
    return reconcile(
        _records(paths["registration"]),
        {service: _records(paths[service]) for service in SERVICES},
    )
