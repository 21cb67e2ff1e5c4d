"""Importing certificates issued before the platform (administrators): the file is checked
first (a dry run, its problems by row and column in the reader's language), then imported
when the administrator chooses the same file again and confirms; the registration API refuses
another file than the one checked (its SHA-256 travels with the form)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, render_template, request

from services.portal import i18n, signin
from services.portal.api_client import ApiError
from services.portal.views.common import api, call, done
from shared.import_problems import header_words, words

bp = Blueprint("imports", __name__)

ADMINS = ("admin",)
PATH = "/imports/certificates"


def _problem_rows(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each problem as the page shows it: the row, the column's header and the words."""
    lang = i18n.current_language()
    shown = []
    for problem in problems:
        column = problem.get("column")
        shown.append(
            {
                "row": problem.get("row"),
                "column": header_words(column, lang) if column else "—",
                "words": words(problem.get("code"), problem.get("params"), lang),
            }
        )
    return shown


@bp.route("/imports/certificates", methods=["GET", "POST"])
@signin.required(*ADMINS)
def certificates() -> Any:
    """Choose the file, read the dry run's report, confirm with the same file."""
    report: dict[str, Any] | None = None
    problems: list[dict[str, Any]] = []
    error: str | None = None
    if request.method == "POST":
        upload = request.files.get("file")
        expected = request.form.get("expected_sha256", "").strip()
        if upload is None or not upload.filename:
            error = i18n.translate("import.choose_file")
        else:
            data: dict[str, str] = {"apply": "true" if expected else "false"}
            if expected:
                data["expected_sha256"] = expected
            try:
                report = call(
                    "registration",
                    "POST",
                    PATH,
                    files={"file": (upload.filename, upload.stream, upload.mimetype)},
                    data=data,
                )
            except ApiError as exc:
                if exc.status == 401:
                    raise
                if exc.code == "import.has_problems":
                    problems = _problem_rows(exc.params.get("problems") or [])
                error = i18n.refusal(exc)
            else:
                problems = _problem_rows(report["problems"])
                if report["applied"]:
                    done("import.done", created=report["created"], unchanged=report["unchanged"])
    if error:
        flash(error, "error")
    return render_template("imports/certificates.html", report=report, problems=problems)


@bp.get("/imports/certificates/template.csv")
@signin.required(*ADMINS)
def template() -> Response:
    """The template, its headers in the reader's language."""
    lang = i18n.current_language()
    got = api().download(
        "registration", f"{PATH}/template.csv?language={lang}", token=signin.token()
    )
    resp = Response(got.content, mimetype="text/csv")
    resp.headers["Content-Disposition"] = (
        f'attachment; filename="{i18n.translate("import.template_file")}"'
    )
    return resp
