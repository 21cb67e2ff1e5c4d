"""A score sheet on a page: the actual sheet of the product set (shared/rubrics), answers read
from the form, and the running score computed on the server with the same scoring the
evaluation service uses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from shared.rubrics import (
    DEFAULT_VERSION,
    AnswerError,
    Score,
    Sheet,
    accepted_answers,
    load_rubric,
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


def running(sheet: Sheet, answers: Mapping[str, str]) -> Running:
    try:
        return Running(score(sheet, answers), {})
    except AnswerError as exc:
        return Running(None, exc.errors)


def choices(criterion: object) -> tuple[str, ...]:
    """Template helper: the answers a criterion accepts (option codes, or yes/no)."""
    return accepted_answers(criterion)  # type: ignore[arg-type]
