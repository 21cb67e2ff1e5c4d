"""A score sheet on a page: the actual sheet of the product set (shared/rubrics), answers read
from the form, and the running score computed on the server with the same scoring the
evaluation service uses.

A conditional criterion (``applies_when`` in the rubric data; 5.2 "only with a product
story") that does not apply to the answers so far is shown as not applicable, its choices
disabled: it scores 0 whatever was ticked and needs no answer, so a disabled choice sends
nothing. It applies again, and must then be answered, once the criterion it depends on is
answered accordingly (live with JavaScript, else on "Compute score"). Alternative cases
(set 26) are shown as the printed case headings over their options; the option names its
case."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import url_for

from shared.rubrics import (
    DEFAULT_VERSION,
    AnswerError,
    Criterion,
    Score,
    Sheet,
    accepted_answers,
    load_rubric,
    not_applicable,
    score,
)

PREFIX = "answer."


def sheet(set_code: str, version: str | None = None) -> Sheet:
    return load_rubric(version or DEFAULT_VERSION).sheet(set_code)


def answers_from_form(sheet: Sheet, form: Mapping[str, str]) -> dict[str, str]:
    """``answer.<code>`` fields; an empty value means unanswered."""
    return {c.code: form[PREFIX + c.code] for c in sheet.criteria if form.get(PREFIX + c.code)}


@dataclass(frozen=True, slots=True)
class Running:
    """The running result shown beside the sheet."""

    score: Score | None
    errors: dict[str, str]
    #: Conditional criteria that do not apply to these answers, known even when some answer
    #: is invalid (then ``score`` is ``None``).
    not_applicable: tuple[str, ...] = ()


def running(sheet: Sheet, answers: Mapping[str, str]) -> Running:
    off = not_applicable(sheet, answers)
    try:
        return Running(score(sheet, answers), {}, off)
    except AnswerError as exc:
        return Running(None, exc.errors, off)


def choices(criterion: Criterion) -> tuple[str, ...]:
    """Template helper: the answers a criterion accepts (option codes, or yes/no)."""
    return accepted_answers(criterion)


# --- Form 02's evidence: documents the applicant names for each criterion ------------------

EVIDENCE = "evidence."


def evidence_documents(dossier_id: Any, documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A dossier's documents (registration's list) as the sheet shows them: id, kind, the
    latest version's file name and its download link in the portal, and the criteria named."""
    shown = []
    for d in documents:
        latest = d["versions"][-1] if d.get("versions") else None
        if latest is None:
            continue
        href = url_for(
            "dossiers.download", dossier_id=dossier_id, document_id=d["id"], number=latest["number"]
        )
        shown.append(
            {
                "id": d["id"],
                "kind": d["kind"],
                "name": latest["original_name"],
                "href": href,
                "criteria": d.get("criteria") or [],
            }
        )
    return shown


def evidence_by_criterion(documents: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """``{criterion code: [document, …]}`` from :func:`evidence_documents`; a document
    evidences as many criteria as it names."""
    found: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        for code in document["criteria"]:
            found.setdefault(code, []).append(document)
    return found


def evidence_from_form(
    sheet: Sheet, documents: list[dict[str, Any]], form: Any
) -> dict[str, list[str]]:
    """``{document id: [criterion code, …]}`` as the self-assessment form ticks them
    (``evidence.<code>`` checkboxes whose values are document ids), in sheet order."""
    ticked = {c.code: set(form.getlist(EVIDENCE + c.code)) for c in sheet.criteria}
    return {
        d["id"]: [c.code for c in sheet.criteria if d["id"] in ticked[c.code]] for d in documents
    }
