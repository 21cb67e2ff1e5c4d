"""An import-linter contract type: a package imports only what is listed (and the standard library).

import-linter's own contracts say what may *not* be imported; a pure package's rule is the other
way round ("nothing outside itself, the standard library and ..."), so that a new framework or a new
`shared` module is refused without anyone having to add it to a list. Registered in pyproject.toml
(`[tool.importlinter] contract_types`) and checked by `lint-imports` with the other contracts.

Direct imports only: the allowed modules are pure themselves under their own `allowlist` contract,
so what a source package reaches through them is bounded too.
"""

from __future__ import annotations

import sys
from typing import cast

from grimp import ImportGraph
from importlinter import Contract, ContractCheck, fields, output
from importlinter.domain.imports import Module


class AllowlistContract(Contract):
    """Each source package imports only itself, the standard library and `allowed_modules`.

    Options:
        - source_modules:  packages checked one by one; each may import its own modules.
        - allowed_modules: modules (with their submodules) or top-level distributions allowed.
    """

    type_name = "allowlist"

    source_modules = fields.ListField(subfield=fields.ModuleField())
    allowed_modules = fields.ListField(subfield=fields.ModuleField(), required=False)

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        # The fields hold parsed values once the contract is built (import-linter's own idiom).
        sources = cast("list[Module]", self.source_modules)
        allowed = [module.name for module in cast("list[Module]", self.allowed_modules or [])]
        illegal = []
        for source in sources:
            package = source.name
            for importer in sorted({package} | graph.find_descendants(package)):
                for imported in sorted(graph.find_modules_directly_imported_by(importer)):
                    if _within(imported, [package, *allowed]) or _standard(imported):
                        continue
                    lines = [
                        detail["line_number"]
                        for detail in graph.get_import_details(importer=importer, imported=imported)
                    ]
                    illegal.append((importer, imported, lines))
        return ContractCheck(kept=not illegal, metadata={"illegal": illegal})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for importer, imported, lines in check.metadata["illegal"]:
            where = f" (l.{', '.join(map(str, lines))})" if lines else ""
            output.print_error(f"- {importer} -> {imported}{where}", bold=False)
            output.new_line()


def _within(module: str, packages: list[str]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _standard(module: str) -> bool:
    return module.split(".")[0] in sys.stdlib_module_names
