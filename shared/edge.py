"""The edge of every service, checked before a view runs: who may call the operation (before
its body is read), and what a body must be before a schema sees it.

An operation needs a bearer token unless it is declared public (``@public(blp)``, which is
also what makes the OpenAPI document say ``security: []``), so a route added without thought
is protected, and the document cannot drift from what the service enforces. An anonymous
call to a protected operation answers 401 without its body being read or validated: a
stranger learns nothing of the fields an operation takes.

A JSON body is then read once, within bounds, and refused as a problem (never a 5xx) when it
is too large (413), not JSON in UTF-8 (415), missing where the operation takes one, not valid
JSON, nested deeper than any body of the API, holding a number beyond the 32 bits of the
columns (±2^31 − 1: no field of the API goes further, and no number then overflows a query or
a column) or text no database stores (NUL, unpaired surrogates) (400). The schema (webargs,
marshmallow) then parses the same bytes and answers 422 for fields of the wrong type or value.
The same bounds hold for the rest of the request: NUL nowhere in the path, query or form (400),
an integer query parameter within 32 bits (400), an integer in the path within them (404: it
names nothing, as a path that is not a number does).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, g, request
from flask_smorest import Blueprint
from marshmallow import fields
from webargs.core import is_json

from shared import problems

JSON_MAX_BYTES = 1024 * 1024
JSON_MAX_DEPTH = 32
JSON_MAX_NUMBER = 2**31 - 1  # the columns' INTEGER; within I-JSON's exact ±2^53 (RFC 7493)

# Routes outside the API document that answer anyone: probes, metrics, the document itself.
OPEN_ENDPOINTS = frozenset({"static", "healthz", "readyz", "metrics"})
OPEN_PREFIXES = ("api-docs.",)

F = TypeVar("F", bound=Callable[..., Any])


def public(blp: Blueprint) -> Callable[[F], F]:
    """Declare an operation answerable without a token (``security: []`` in the document).

    A token sent anyway is still checked: a bad one answers 401."""
    return blp.doc(security=[])


@dataclass(frozen=True, slots=True)
class Operation:
    """What the edge needs to know of one (endpoint, method)."""

    public: bool
    json_body: bool  # takes a JSON request body
    body_required: bool
    form: bool = False  # takes a form (multipart: an upload)
    query_integers: tuple[str, ...] = ()  # query parameters read as integers


def view_function(app: Flask, endpoint: str, method: str) -> Callable[..., Any] | None:
    """The function that answers ``method`` on ``endpoint`` (a MethodView's method, if any)."""
    view = app.view_functions.get(endpoint)
    cls = getattr(view, "view_class", None)
    if cls is None:
        return view
    fn = getattr(cls, method.lower(), None)
    if fn is None and method == "HEAD":
        fn = getattr(cls, "get", None)
    return fn


def is_public(endpoint: str, fn: Callable[..., Any] | None) -> bool:
    if endpoint in OPEN_ENDPOINTS or endpoint.startswith(OPEN_PREFIXES):
        return True
    doc = getattr(fn, "_apidoc", None) or {}
    return doc.get("manual_doc", {}).get("security") == []


def operation(app: Flask, endpoint: str, method: str) -> Operation:
    cache: dict[tuple[str, str], Operation] = app.extensions.setdefault("ocop.operations", {})
    key = (endpoint, method)
    found = cache.get(key)
    if found is None:
        fn = view_function(app, endpoint, method)
        parameters = (getattr(fn, "_apidoc", None) or {}).get("arguments", {}).get("parameters", [])
        bodies = [p for p in parameters if p.get("in") == "json"]
        found = Operation(
            public=is_public(endpoint, fn),
            json_body=bool(bodies),
            body_required=any(p.get("required", True) for p in bodies),
            form=any(p.get("in") in ("form", "files") for p in parameters),
            query_integers=tuple(
                name
                for p in parameters
                if p.get("in") == "query"
                for name in _integer_fields(p["schema"])
            ),
        )
        cache[key] = found
    return found


def check_request(app: Flask) -> None:
    """Run after the token (if any) was verified: 401 for an anonymous call to a protected
    operation, then the bounds of the request's text and body. Nothing is checked for a path
    no route matches (404) or a method it does not take (405), nor for OPTIONS."""
    endpoint = request.endpoint
    if endpoint is None or request.routing_exception is not None or request.method == "OPTIONS":
        return
    op = operation(app, endpoint, request.method)
    if not op.public and g.get("principal") is None:
        raise problems.unauthorized()
    _check_url(op)
    if op.json_body:
        _check_json_body(op)
    if op.form:
        _check_form()


def malformed(detail: str) -> problems.Problem:
    # The English detail says precisely what is wrong, for a client's developer; people read
    # the catalogue's words for the code.
    return problems.edge(400, "request.malformed", detail)


def _integer_fields(schema: Any) -> list[str]:
    """The names under which a (query) schema reads integers."""
    instance = schema() if isinstance(schema, type) else schema
    return [
        field.data_key or name
        for name, field in getattr(instance, "fields", {}).items()
        if isinstance(field, fields.Integer)
    ]


def _check_url(op: Operation) -> None:
    """NUL reaches no database (PostgreSQL refuses it in text); numbers stay within 32 bits."""
    args = request.args
    texts = [*args.keys(), *(v for _, v in args.items(multi=True))]
    path = request.view_args or {}
    texts += [v for v in path.values() if isinstance(v, str)]
    if any("\x00" in text for text in texts):
        raise malformed("The path or query holds a NUL character.")
    if any(isinstance(v, int) and abs(v) > JSON_MAX_NUMBER for v in path.values()):
        raise problems.edge(404, "request.not_found")
    for name in op.query_integers:
        for value in args.getlist(name):
            try:
                number = int(value)
            except ValueError:
                continue  # not a number: the schema says so (422)
            if abs(number) > JSON_MAX_NUMBER:
                raise malformed(f"The query parameter {name} lies beyond ±2^31.")


def _check_form() -> None:
    """A form's fields hold no NUL. A file's name and content are the upload's to check: it
    refuses control characters in a name (422 naming the file) and sniffs the content."""
    texts = [*request.form.keys(), *(v for _, v in request.form.items(multi=True))]
    if any("\x00" in text for text in texts):
        raise malformed("The form holds a NUL character.")


def _has_body() -> bool:
    if request.content_length:
        return True
    return "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def _check_json_body(op: Operation) -> None:
    if not _has_body():
        if op.body_required:
            raise malformed("This operation takes a JSON body (application/json).")
        return
    if not is_json(request.mimetype):
        raise problems.edge(415, "request.json_expected")
    charset = request.mimetype_params.get("charset")
    if charset is not None and charset.lower().replace("_", "-") not in ("utf-8", "utf8"):
        raise problems.edge(415, "request.json_utf8_only")
    request.max_content_length = min(JSON_MAX_BYTES, request.max_content_length or JSON_MAX_BYTES)
    raw = request.get_data(cache=True)  # 413 beyond the bound
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise malformed("The request body is not UTF-8.") from exc
    try:
        value = json.loads(text, parse_constant=_no_constant, parse_int=_int, parse_float=_float)
    except RecursionError as exc:
        raise malformed(f"The request body nests deeper than {JSON_MAX_DEPTH} levels.") from exc
    except json.JSONDecodeError as exc:
        raise malformed("The request body is not valid JSON.") from exc
    except ValueError as exc:  # from the number hooks below
        raise malformed(str(exc)) from exc
    _check_value(value)


_NUMBERS = "The request body holds a number beyond ±2^31 (or NaN, Infinity)."


def _no_constant(_name: str) -> Any:
    raise ValueError(_NUMBERS)


def _int(text: str) -> int:
    # Checked on the text first: a thousand-digit literal is not even converted.
    if len(text.lstrip("-")) > 16 or abs(value := int(text)) > JSON_MAX_NUMBER:
        raise ValueError(_NUMBERS)
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or abs(value) > JSON_MAX_NUMBER:
        raise ValueError(_NUMBERS)
    return value


def _check_value(value: Any) -> None:
    """Depth and text of a parsed body, walked without recursion."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            _check_text(item)
        elif isinstance(item, dict | list):
            if depth >= JSON_MAX_DEPTH:
                raise malformed(f"The request body nests deeper than {JSON_MAX_DEPTH} levels.")
            if isinstance(item, dict):
                for key, inner in item.items():
                    _check_text(key)
                    stack.append((inner, depth + 1))
            else:
                stack.extend((inner, depth + 1) for inner in item)


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise malformed("The request body holds a NUL character.")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise malformed("The request body holds an unpaired surrogate (\\ud800–\\udfff).") from exc
