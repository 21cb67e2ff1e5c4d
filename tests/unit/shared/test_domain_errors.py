"""Domain errors as problem+json (shared.errors, shared.problems.from_domain) and the codes of a
schema's field errors (shared.field_errors, through the 422 a service answers)."""

from __future__ import annotations

import json
from datetime import date

from flask import Flask
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from shared import errors, problems
from shared.errors import Conflict, Forbidden, Invalid, NotFound, Refused, Unauthorized
from shared.field_errors import code_of, codes
from shared.web import ProblemApi


def _body(error: errors.DomainError) -> dict:
    response = problems.from_domain(error).response(instance="/x")
    assert response.mimetype == "application/problem+json"
    return json.loads(response.get_data())


def test_a_refusal_answers_its_code_params_and_english_words() -> None:
    body = _body(Refused("dossier.not_editable", status="submitted"))
    assert (body["status"], body["type"]) == (409, "urn:ocop:problem:transition-not-allowed")
    assert (body["code"], body["params"]) == ("dossier.not_editable", {"status": "submitted"})
    # The English detail is the catalogue's, the status shown by its label.
    assert "“Submitted”" in body["detail"] and "errors" not in body


def test_each_kind_keeps_its_status() -> None:
    for error, status in (
        (NotFound("dossier.not_found"), 404),
        (Forbidden("dossier.not_handler"), 403),
        (Conflict("council.already_seated"), 409),
        (Invalid(errors={"unit": "unit.malformed"}), 422),
    ):
        assert _body(error)["status"] == status


def test_a_wrong_password_asks_for_a_bearer_token() -> None:
    response = problems.from_domain(Unauthorized("auth.wrong_credentials")).response()
    assert response.status_code == 401 and response.headers["WWW-Authenticate"] == "Bearer"


def test_field_errors_carry_codes_and_params_nested_as_given() -> None:
    error = Invalid(
        "self_assessment.mismatch",
        errors={
            "found_on": ("date.after_today", {"today": date(2026, 12, 6)}),
            "self_assessment": {"5.2": ("answer.missing", {"expected": "a, b, c"})},
        },
    )
    body = _body(error)
    assert body["field_codes"] == {
        "found_on": "date.after_today",
        "self_assessment.5.2": "answer.missing",
    }
    assert body["field_params"]["found_on"] == {"today": "2026-12-06"}  # JSON has no dates
    assert body["errors"]["found_on"] == ["Cannot be after today (6 Dec 2026)."]
    assert body["errors"]["self_assessment"] == {"5.2": ["Not answered; choose one of: a, b, c."]}


def test_a_stale_copy_keeps_its_current_version_where_clients_read_it() -> None:
    body = _body(Conflict("dossier.stale", yours=3, current_version=4))
    assert body["current_version"] == 4 and body["params"]["current_version"] == 4


def test_words_in_both_languages_with_labels_and_local_days() -> None:
    refusal = Refused("dossier.action_not_allowed", action="withdraw", status="withdrawn")
    assert refusal.message("vi") == (
        "Không thể thực hiện «Rút hồ sơ» với hồ sơ ở trạng thái «Đã rút»."
    )
    assert (
        refusal.message("en") == "“Withdraw” is not possible for a dossier in status “Withdrawn”."
    )
    assert "06/12/2026" in errors.message("date.after_today", {"today": "2026-12-06"}, "vi")


def test_an_unknown_code_or_missing_params_read_as_the_general_message() -> None:
    general = errors.message(errors.UNKNOWN, {}, "vi")
    assert general.startswith("Yêu cầu không thực hiện được")
    assert errors.message("newer.service.code", {}, "vi") == general
    assert errors.message(None, None, "vi") == general
    assert errors.message("dossier.not_editable", {}, "vi") == general  # {status} unfilled
    # A value shaped like a day but none is shown as it came (a hostile query echoed back).
    assert "2026-99-99" in errors.message("unit.unknown", {"unit": "2026-99-99"}, "en")


def test_marshmallow_messages_read_back_as_codes() -> None:
    assert code_of("Missing data for required field.") == ("field.required", {})
    assert code_of("Longer than maximum length 200.") == ("field.too_long", {"max": 200})
    assert code_of("Length must be between 1 and 9.") == ("field.length", {"min": 1, "max": 9})
    assert code_of("Must be one of: a, b.") == ("field.choice", {"choices": "a, b"})
    assert code_of("Not a valid email address.") == ("field.email", {})
    assert code_of("Not a valid integer.") == ("field.number", {})
    assert code_of("Not a valid date.") == ("field.date", {})
    assert code_of("String does not match expected pattern.") == ("field.pattern", {})
    assert code_of("Must be greater than or equal to 1.") == ("field.at_least", {"min": 1})
    assert code_of("Something this project worded itself.") == ("field.invalid", {})
    nested = {"representative": {"name": ["Missing data for required field."]}}
    assert codes(nested) == ({"representative.name": "field.required"}, {})


class _In(Schema):
    name = fields.String(required=True, validate=validate.Length(max=5))
    level = fields.String(validate=validate.OneOf(["district", "province"]))
    year = fields.Integer()


def test_a_schemas_422_gives_each_field_a_code_and_every_edge_problem_one() -> None:
    app = Flask("t")
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.0.3")
    api = ProblemApi(app)
    blp = Blueprint("t", __name__)

    @blp.post("/things")
    @blp.arguments(_In)
    def create(data: dict) -> dict:
        return data

    api.register_blueprint(blp)
    client = app.test_client()
    reply = client.post("/things", json={"name": "too long", "level": "x", "year": "y"})
    body = reply.get_json()
    assert reply.status_code == 422 and body["code"] == "request.invalid"
    assert body["field_codes"] == {
        "name": "field.too_long",
        "level": "field.choice",
        "year": "field.number",
    }
    assert body["field_params"] == {"name": {"max": 5}, "level": {"choices": "district, province"}}
    missing = client.post("/things", json={}).get_json()
    assert missing["field_codes"] == {"name": "field.required"}
    assert client.get("/nowhere").get_json()["code"] == "request.not_found"
    assert client.get("/things").get_json()["code"] == "request.method_not_allowed"
