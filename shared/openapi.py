"""The OpenAPI document of a service, finished from what the service does at its edge
(shared.edge) rather than from what each view remembered to declare.

flask-smorest documents each operation from its decorators; ``finish`` then makes the document
exact for every operation at once:

- ``security``: ``[]`` on the public operations (those the edge lets through without a
  token), the bearer scheme on every other;
- every error is ``application/problem+json`` with the ``Problem`` schema (RFC 9457), the
  default (unexpected) answer included;
- the answers the edge gives: 401 (no valid token; on a public operation only for a token that
  is sent and not valid), 400 (malformed request: NUL in the path, query or form, an integer
  query parameter beyond ±2^31, a body that is not JSON, too deep, numbers beyond ±2^31), and
  for a body 413, 415 and 422; 422 wherever query parameters are validated;
- 414 and 431, which gunicorn answers in HTML before the application sees the request (a
  request line or headers beyond its limits), and its HTML 400 for a request it cannot parse;
- a multipart body's form fields in its schema (flask-smorest leaves them as OpenAPI 2
  ``formData`` parameters, which OpenAPI 3 does not have).
"""

from __future__ import annotations

import copy
from http import HTTPStatus
from typing import Any

from flask import Flask
from flask_smorest.spec.plugins import FlaskPlugin

from shared import edge

PROBLEM_JSON = "application/problem+json"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "RFC 9457 problem details; ``type`` is urn:ocop:problem:<slug>.",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "example": "urn:ocop:problem:validation-error"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request's path"},
        "request_id": {"type": "string", "description": "also in the X-Request-ID header"},
        "errors": {
            "type": "object",
            "additionalProperties": {},
            "description": "422: the fields refused and why, nested as in the body",
        },
        "code": {
            "type": "string",
            "example": "dossier.not_handler",
            "description": "what was refused, stable; its words in each language are the "
            "catalogue's error.<code> (ADR 0012)",
        },
        "params": {
            "type": "object",
            "additionalProperties": {},
            "description": "the values the code's words name (ids, counts, ISO days, codes)",
        },
        "field_codes": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "each refused field's code, by dotted path (field.required, ...)",
        },
        "field_params": {
            "type": "object",
            "additionalProperties": {"type": "object", "additionalProperties": {}},
            "description": "the values each field's code names, by dotted path",
        },
    },
    # A problem may carry members of its own (a 409 names what conflicts).
    "additionalProperties": {},
}

HTML = {"text/html": {"schema": {"type": "string"}}}

_DESCRIPTIONS = {
    400: "Malformed request: the body is not JSON in UTF-8, nests too deep, holds NUL or a "
    "number beyond ±2^31, a required body is missing, the path, query or form holds NUL, or "
    "an integer query parameter lies beyond ±2^31 (problem+json); or a request the HTTP "
    "server cannot parse (gunicorn, text/html)",
    413: "The body is larger than the operation takes",
    415: "The body is not of a media type the operation takes",
    422: "Some fields are invalid (``errors`` names them and why)",
    414: "URI Too Long: the request line exceeds the HTTP server's limit (gunicorn answers "
    "before the application, in HTML)",
    431: "Request Header Fields Too Large: answered by the HTTP server (gunicorn), in HTML",
}


def link(
    method: str,
    path: str,
    description: str,
    *,
    parameters: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An OpenAPI link from an answer to the operation ``method path`` (as the document writes
    the path, ``{dossier_id}``): ``parameters`` by ``in.name``, ``body`` the fields the answer
    fills in, both runtime expressions (``$response.body#/id``). Clients and stateful fuzzing
    follow them from what they created to what they may do with it."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    found: dict[str, Any] = {
        "operationRef": f"#/paths/{pointer}/{method.lower()}",
        "description": description,
    }
    if parameters:
        found["parameters"] = parameters
    if body:
        found["requestBody"] = body
    return found


def links(status: int, **named: dict[str, Any]) -> dict[str, Any]:
    """The links of an operation's ``status`` answer, for ``@blp.doc(**links(201, ...))``
    (keyed as flask-smorest keys the answer: by the int, so the two merge)."""
    return {"responses": {status: {"links": named}}}


def _problem(status: int, description: str | None = None) -> dict[str, Any]:
    return {
        "description": description or _DESCRIPTIONS.get(status) or HTTPStatus(status).phrase,
        "content": {PROBLEM_JSON: {"schema": dict(PROBLEM_REF)}},
    }


def finish(spec: dict[str, Any], app: Flask) -> dict[str, Any]:
    """``spec`` (flask-smorest's document) made exact; ``spec`` itself is left as it was."""
    doc = copy.deepcopy(spec)
    components = doc.setdefault("components", {})
    components.setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    components["schemas"].pop("Error", None)  # flask-smorest's, which no answer has
    components.setdefault("responses", {})["DEFAULT_ERROR"] = _problem(
        500, "Unexpected error (500, logged with the request id) or another problem"
    )
    for rule in app.url_map.iter_rules():
        path = doc.get("paths", {}).get(FlaskPlugin.flaskpath2openapi(rule.rule))
        if path is None:
            continue
        for method in sorted(rule.methods or ()):
            op = path.get(method.lower())
            if op is not None:
                _finish_operation(op, app, rule.endpoint, method, components["schemas"])
    return doc


def _finish_operation(
    op: dict[str, Any], app: Flask, endpoint: str, method: str, schemas: dict[str, Any]
) -> None:
    found = edge.operation(app, endpoint, method)
    op["security"] = [] if found.public else [{"bearer": []}]
    responses: dict[str, Any] = op.setdefault("responses", {})
    statuses = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    statuses |= {400, 401}
    query = any(p.get("in") == "query" for p in op.get("parameters", []))
    if query:
        statuses.add(422)
    if found.json_body:
        statuses |= {413, 415, 422}
    if _move_form_fields(op, schemas):
        statuses |= {413, 415, 422}
    for status in sorted(statuses):
        responses[str(status)] = _problem(status)
    responses["401"] = _problem(
        401,
        "A bearer token was sent and is not valid (none is needed)"
        if found.public
        else "No valid bearer token (sent before the body is read)",
    )
    responses["400"]["content"].update(copy.deepcopy(HTML))
    for status in (414, 431):
        responses[str(status)] = {"description": _DESCRIPTIONS[status], "content": dict(HTML)}
    body = op.get("requestBody")
    if body is not None and found.json_body:
        body["required"] = found.body_required
    op["responses"] = dict(sorted(responses.items()))


def _move_form_fields(op: dict[str, Any], schemas: dict[str, Any]) -> bool:
    """Put OpenAPI 2 style ``formData`` parameters into the multipart body's schema, inline
    (the file's component forbids other properties). True if the operation takes a form."""
    params = op.get("parameters", [])
    form = [p for p in params if p.get("in") == "formData"]
    content = op.get("requestBody", {}).get("content", {})
    if not form and "multipart/form-data" not in content:
        return False
    rest = [p for p in params if p.get("in") != "formData"]
    if rest:
        op["parameters"] = rest
    else:
        op.pop("parameters", None)
    multipart = content.setdefault("multipart/form-data", {})
    schema = multipart.get("schema", {})
    if "$ref" in schema:
        schema = schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
    merged: dict[str, Any] = {
        "type": "object",
        "properties": dict(schema.get("properties", {})),
        "required": list(schema.get("required", [])),
        "additionalProperties": False,
    }
    for p in form:
        merged["properties"][p["name"]] = p.get("schema", {"type": "string"})
        if p.get("required"):
            merged["required"].append(p["name"])
    multipart["schema"] = merged
    return True
