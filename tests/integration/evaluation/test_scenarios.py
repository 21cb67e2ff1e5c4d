"""Scenarios of evaluation not shown elsewhere: dossiers of several product sets scored on
their own sheets with results in every band, and acts by the members of another council.

(The published real case, the Bến Tre frozen durian scored on the 1048/2019 sheets, is ranked
in tests/unit/evaluation/test_outcome.py: the project holds only the 26/2026 sheets as data.)
"""

from __future__ import annotations

import pytest

from shared.rubrics import load_rubric
from tests.support import councils as kit
from tests.unit.evaluation.sheets import answers_for


@pytest.fixture(scope="module")
def councils(admin, eval_call, evaluation) -> tuple[kit.Council, kit.Council]:
    """Two district councils of four seats each (quorum 3 with the chair)."""
    return tuple(  # type: ignore[return-value]
        kit.form_council(
            admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
        )
        for _ in range(2)
    )


def _opened(registration, evaluation, owner, commune_officer, officer, secretariat, council, code):
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer, set_code=code)
    kit.propose(officer, dossier["id"])
    reply = kit.assign(secretariat, dossier["id"], council.id)
    assert reply.status == 201, reply.body
    return dossier["id"], reply.body["id"]


# (product set, members' totals with the marks they meet) → (band, rank, outcome, stage)
BANDS = [
    ("01", [(20, 1), (24, 1), (22, 1)], (1, 1, "not_recognised", "not_recognised")),
    ("21", [(40, 2), (44, 2), (42, 2)], (2, 2, "not_recognised", "not_recognised")),
    ("13", [(60, 3), (62, 3), (64, 3)], (3, 3, "recognised", "awaiting_decision")),
    ("01", [(80, 4), (78, 4), (82, 4)], (4, 4, "forwarded", "awaiting_assignment")),
    ("13", [(95, 5), (92, 5), (93, 5)], (5, 5, "forwarded", "awaiting_assignment")),
]


@pytest.mark.parametrize(("code", "specs", "want"), BANDS)
def test_each_product_set_is_ranked_on_its_own_sheet(
    registration,
    evaluation,
    owner,
    commune_officer,
    officer,
    secretariat,
    councils,
    code,
    specs,
    want,
) -> None:
    council = councils[0]
    sheet = load_rubric().sheet(code)
    dossier_id, ev = _opened(
        registration, evaluation, owner, commune_officer, officer, secretariat, council, code
    )
    kit.score_all(council, ev, [answers_for(t, marks=m, sheet=sheet) for t, m in specs])
    closed = kit.finalise(council.secretary, ev)
    assert closed.status == 200, closed.body
    result = closed.body["result"]
    assert result["total"] == pytest.approx(sum(t for t, _ in specs) / 3)
    assert sum(result["parts"].values()) == pytest.approx(result["total"])
    band, rank, outcome, stage = want
    assert (result["band"], closed.body["star_rank"], closed.body["outcome"]) == (
        band,
        rank,
        outcome,
    )
    case = secretariat("GET", f"/api/v1/cases/{dossier_id}").body
    assert case["product_set_code"] == code and case["stage"] == stage
    submitted = kit.events(evaluation, dossier_id, "evaluation.sheet_submitted")
    assert {tuple(sorted(e["payload"]["answers"])) for e in submitted} == {
        tuple(sorted(c.code for c in sheet.criteria))
    }


def test_another_councils_members_change_nothing(
    registration, evaluation, owner, commune_officer, officer, secretariat, councils
) -> None:
    ours, theirs = councils
    dossier_id, ev = _opened(
        registration, evaluation, owner, commune_officer, officer, secretariat, ours, kit.SET_CODE
    )
    kit.score_all(ours, ev, [answers_for(80, marks=4)] * 2)
    version = ours.chair("GET", f"/api/v1/evaluations/{ev}").body["version"]
    before = kit.snapshot(evaluation, dossier_id)
    answers = answers_for(80, marks=4)
    # Officials of the same district, seated elsewhere, are not on the case (ADR 0009): the
    # evaluation does not exist for them (before, their unit reached it: 403, and it was listed
    # to them as overseers).
    for person in theirs.everyone:
        for reply in (
            kit.declare(person, ev),
            kit.submit(person, ev, answers),
            kit.revise(person, ev, answers, revision=1),
            person("GET", f"/api/v1/evaluations/{ev}/dossier"),
            person("GET", f"/api/v1/evaluations/{ev}/sheets"),
            person(
                "POST",
                f"/api/v1/evaluations/{ev}/conflicts/found",
                json={"account_id": ours.members[0].account["id"], "reason": "Họ hàng"},
            ),
        ):
            assert reply.status == 404, reply.body
            assert reply.body["type"] == "urn:ocop:problem:not-found"
            assert "answers" not in reply.body and "80" not in reply.body["detail"]
        for path in (f"/api/v1/evaluations/{ev}", f"/api/v1/cases/{dossier_id}"):
            hidden = person("GET", path)
            assert hidden.status == 404 and "spread" not in hidden.body, hidden.body
        refused = person("POST", f"/api/v1/evaluations/{ev}/finalise", json={"version": version})
        assert refused.status == 404, refused.body
    assert kit.snapshot(evaluation, dossier_id) == before
