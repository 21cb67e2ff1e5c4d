"""Importing certificates issued before the platform (administrators)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from services.registration.runtime import current
from services.registration.service import certificate_import
from shared.errors import Forbidden
from shared.events import Actor
from shared.web import current_principal, document_errors

blp = Blueprint(
    "imports",
    __name__,
    url_prefix="/api/v1/imports",
    description="Imports of records kept before the platform (administrators)",
)


class ImportForm(Schema):
    apply = fields.Bool(
        load_default=False,
        metadata={"description": "write the rows (default: a dry run that writes nothing)"},
    )
    expected_sha256 = fields.Str(
        load_default=None,
        validate=validate.Regexp(r"^[0-9a-fA-F]{64}$"),
        metadata={"description": "the SHA-256 of the file the dry run checked: another is refused"},
    )


class ImportFile(Schema):
    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "CSV or XLSX"},
    )


class ProblemOut(Schema):
    row = fields.Int(metadata={"description": "the file's row (1 is the header)"})
    column = fields.Str(allow_none=True, metadata={"description": "the column's key"})
    code = fields.Str(metadata={"description": "error.<code> in the catalogue words it"})
    params = fields.Dict()


class ImportReport(Schema):
    file_name = fields.Str()
    sha256 = fields.Str()
    rows = fields.Int(metadata={"description": "data rows read"})
    created = fields.Int(metadata={"description": "certificates created (a dry run: to create)"})
    unchanged = fields.Int(metadata={"description": "already present with the same facts"})
    applied = fields.Bool()
    producers_created = fields.Int()
    accounts_created = fields.Int()
    problems = fields.List(fields.Nested(ProblemOut))


@blp.before_request
def _administrators_only() -> None:
    """Who may import is settled before the upload is read: 401 anonymous, 403 not an admin."""
    if not current_principal().has("admin"):
        raise Forbidden("import.admins_only")


class TemplateArgs(Schema):
    language = fields.Str(load_default="vi", validate=validate.OneOf(["vi", "en"]))


@blp.route("/certificates/template.csv", methods=["GET"])
@blp.arguments(TemplateArgs, location="query")
@blp.response(200, content_type="text/csv")
@document_errors(blp, 401, 403, 422)
def template(args: dict[str, Any]) -> Any:
    """The import's template: the columns' headers in the language asked for and one example
    row (headers in either language are read)"""
    text = certificate_import.template_csv(args["language"])
    return Response(
        text.encode("utf-8-sig"),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="certificates-template.csv"'},
    )


@blp.route("/certificates", methods=["POST"])
@blp.arguments(ImportForm, location="form")
@blp.arguments(ImportFile, location="files")
@blp.response(200, ImportReport)
@document_errors(blp, 400, 401, 403, 409, 413, 415, 422)
def import_certificates(form: dict[str, Any], files: dict[str, Any]) -> Any:
    """Import certificates issued before the platform from a CSV or XLSX file (multipart:
    file, apply). A dry run by default: every problem by row and column, nothing written.
    With apply, all rows are written in one transaction, or none when any problem remains
    (422 carrying them); rows already present with the same facts are left unchanged."""
    rt = current()
    principal = current_principal()
    upload = files["file"]
    data = upload.stream.read(certificate_import.MAX_BYTES + 1)
    name = upload.filename or "upload"
    if not form["apply"]:
        with rt.db.reader() as session:
            plan = certificate_import.check(
                session, name=name, data=data, regime=rt.settings.regime
            )
        return plan.report.as_dict()
    with rt.db.unit_of_work() as uow:
        report = certificate_import.apply(
            uow=uow,
            actor=Actor(principal.account_id, principal.primary_role),
            name=name,
            data=data,
            regime=rt.settings.regime,
            expected_sha256=form["expected_sha256"],
        )
        uow.commit()
    return report.as_dict()
