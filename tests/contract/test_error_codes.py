"""Every refusal the services can give has words in both languages (ADR 0011).

The source of services/ and shared/ is read (AST) for the codes it raises: the first argument
of a domain error (``Forbidden("dossier.not_handler", ...)``) or of a domain exception that
carries a code (``TransitionError``, ``UploadRejected``), a class's ``code = "..."``, the field
codes of ``errors={...}`` and of ``("code", {params})`` pairs, and the edge's codes
(shared/problems.py, shared/field_errors.py). Each needs ``error.<code>`` in vi and en with the
same placeholders; where a raise site names its parameters, each placeholder must be among
them; and no ``error.*`` key of the errors catalogue goes unused.
"""

from __future__ import annotations

import ast
import json
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from shared import catalogue

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [ROOT / "services", ROOT / "shared"]
CODE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

# Constructors whose first code-like string argument is an error code.
RAISERS = frozenset(
    {
        "DomainError",
        "NotFound",
        "Unauthorized",
        "TooLarge",
        "UnsupportedType",
        "Forbidden",
        "Conflict",
        "Refused",
        "Invalid",
        "TransitionError",
        "RoleNotAllowed",
        "DecidedAlready",
        "UploadRejected",
        "edge",
        "unauthorized",
        "_certificate_problem",
    }
)
# Modules whose every code-like string is an error code they answer with.
EDGE_MODULES = ("shared/problems.py", "shared/field_errors.py")


@dataclass(frozen=True)
class Site:
    code: str
    where: str
    # The parameter names the site passes, or None when they are not statically visible.
    params: frozenset[str] | None


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for base in SOURCES:
        for path in sorted(base.rglob("*.py")):
            if ".venv" in path.parts:
                continue
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text(encoding="utf-8"))


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _code(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
        return node.value
    return None


def _keys(node: ast.expr) -> frozenset[str] | None:
    if isinstance(node, ast.Dict) and all(
        isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys
    ):
        return frozenset(k.value for k in node.keys)  # type: ignore[union-attr]
    return None


def _field_site(node: ast.expr, where: str) -> Site | None:
    """A field's error: ``"code"`` or ``("code", {params})``."""
    if (code := _code(node)) is not None:
        return Site(code, where, frozenset())
    if isinstance(node, ast.Tuple) and len(node.elts) == 2 and (code := _code(node.elts[0])):
        return Site(code, where, _keys(node.elts[1]))
    return None


def _call_sites(call: ast.Call, where: str) -> Iterator[Site]:
    if _name(call.func) in RAISERS:
        visible = not any(k.arg is None for k in call.keywords)
        names = frozenset(k.arg for k in call.keywords if k.arg is not None)
        for arg in call.args:
            if (code := _code(arg)) is not None:
                yield Site(code, where, names if visible else None)
                break
    for keyword in call.keywords:
        if keyword.arg == "errors" and isinstance(keyword.value, ast.Dict):
            for value in keyword.value.values:
                if (site := _field_site(value, where)) is not None:
                    yield site


def raised() -> list[Site]:
    sites: list[Site] = []
    for rel, tree in _sources():
        for node in ast.walk(tree):
            where = f"{rel}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                sites += _call_sites(node, where)
            elif (
                isinstance(node, ast.Tuple)
                and len(node.elts) == 2
                and _code(node.elts[0])
                and not isinstance(node.elts[1], ast.Constant)  # not a pair of event kinds
            ):
                # ("answer.missing", {"expected": ...}): a field's code and its values.
                sites.append(_field_site(node, where))  # type: ignore[arg-type]
            elif isinstance(node, ast.ClassDef):
                for item in node.body:
                    if (
                        isinstance(item, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)
                        and (code := _code(item.value))
                    ):
                        sites.append(Site(code, where, None))
            elif rel in EDGE_MODULES and (code := _code(node)):  # type: ignore[arg-type]
                sites.append(Site(code, where, None))
    return list(dict.fromkeys(sites))


def _strings() -> set[str]:
    return {
        node.value
        for _, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _errors_file(lang: str) -> dict[str, str]:
    path = ROOT / "shared" / "catalogue" / lang / "errors.json"
    return json.loads(path.read_text(encoding="utf-8"))


def test_the_scan_finds_the_refusals_it_should() -> None:
    codes = {site.code for site in raised()}
    # One of each way a code is given: a use case, a domain exception, a class attribute, a
    # field code, a (code, params) pair, the edge and the schema's field codes.
    for code in (
        "dossier.not_handler",
        "dossier.action_not_allowed",
        "case.step_not_allowed",
        "dossier.missing_items_required",
        "answer.missing",
        "request.rate_limited",
        "field.required",
    ):
        assert code in codes, code


def test_every_raised_code_has_words_in_both_languages() -> None:
    missing = sorted(
        f"{site.where}: error.{site.code} ({lang})"
        for site in raised()
        for lang in catalogue.LANGUAGES
        if not catalogue.has(f"error.{site.code}", lang)
    )
    assert not missing, "\n".join(missing)


def test_both_languages_name_the_same_placeholders() -> None:
    vi, en = _errors_file("vi"), _errors_file("en")
    assert vi.keys() == en.keys()
    differ = [key for key in vi if _placeholders(vi[key]) != _placeholders(en[key])]
    assert not differ, differ


def test_every_placeholder_is_passed_where_the_code_is_raised() -> None:
    vi, en = catalogue.messages("vi"), catalogue.messages("en")
    unfilled = []
    for site in raised():
        key = f"error.{site.code}"
        if site.params is None or key not in vi:
            continue
        needed = _placeholders(vi[key]) | _placeholders(en.get(key, ""))
        if needed - site.params:
            unfilled.append(f"{site.where}: {site.code} lacks {sorted(needed - site.params)}")
    assert not unfilled, "\n".join(unfilled)


def test_no_error_words_go_unused() -> None:
    used = _strings()
    unused = [key for key in _errors_file("vi") if key.removeprefix("error.") not in used]
    assert not unused, unused
