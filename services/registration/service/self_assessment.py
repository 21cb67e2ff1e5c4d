"""Form 02, the applicant's self-assessment: its score on the dossier's sheet, and the criteria
of that sheet an evidence document may name.

The score is computed by the rubric scorer the council sheets use (``shared.rubrics.score``),
on the rubric version and product set the dossier was filed under, so "Tự đánh giá: 78 điểm,
4 sao" reads as a council member's sheet would with the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable

from services.registration.models import Dossier
from shared.errors import Invalid
from shared.rubrics import AnswerError, Score, Sheet, load_rubric, score


def sheet_of(dossier: Dossier) -> Sheet:
    return load_rubric(dossier.rubric_version).sheet(dossier.product_set_code)


def score_of(dossier: Dossier) -> Score | None:
    """The self-assessment's score (unanswered criteria count 0 and are listed as missing);
    None if its answers no longer fit the sheet."""
    try:
        return score(sheet_of(dossier), dossier.self_assessment or {})
    except AnswerError:
        return None


def evidence_criteria(dossier: Dossier, codes: Iterable[str], *, field: str) -> list[str]:
    """``codes`` as a document names them: each a criterion of the dossier's sheet (422
    ``evidence.unknown_criterion`` naming the first that is not), once, in sheet order."""
    wanted = {code.strip() for code in codes if code.strip()}
    order = [c.code for c in sheet_of(dossier).criteria]
    unknown = sorted(wanted - set(order))
    if unknown:
        raise Invalid(
            errors={
                field: (
                    "evidence.unknown_criterion",
                    {"criterion": unknown[0], "set_code": dossier.product_set_code},
                )
            }
        )
    return [code for code in order if code in wanted]
