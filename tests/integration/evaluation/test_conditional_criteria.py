"""Council sheets and the conditional criterion 5.2 (issue 20, point 1): without a product story
whatever is ticked for 5.2 counts nothing; with one, 5.2 must be answered, and a sheet stored
before that was checked holds the council's close until its author revises it."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from services.evaluation import models
from tests.support import councils as kit
from tests.unit.evaluation.sheets import answers_for


def test_a_story_needs_5_2_and_no_story_ignores_it(
    admin, eval_call, evaluation, registration, owner, commune_officer, officer
) -> None:
    secretariat = kit.official(admin, eval_call, ["secretariat"], kit.DISTRICT)
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=1
    )
    dossier = kit.accepted_case(registration, evaluation, owner, commune_officer)
    kit.propose(officer, dossier["id"])
    reply = kit.assign(secretariat, dossier["id"], council.id)
    assert reply.status == 201, reply.body
    ev = reply.body["id"]
    chair, secretary, member = council.everyone
    for person in council.everyone:
        assert kit.declare(person, ev).status == 201

    # No story, 5.2 ticked anyway: 80 points, not 82.
    no_story = {**answers_for(80, marks=3, c5_1="a"), "5.2": "c"}
    sheet = kit.submit(chair, ev, no_story)
    assert sheet.status == 201, sheet.body
    assert sheet.body["total"] == 80

    # A story and no 5.2: refused, and 5.2 is named.
    story = answers_for(80, marks=4)
    assert story["5.1"] != "a"
    without = {k: v for k, v in story.items() if k != "5.2"}
    refused = kit.submit(secretary, ev, without)
    assert refused.status == 422
    assert set(refused.body["errors"]["answers"]) == {"5.2"}
    assert kit.submit(secretary, ev, story).status == 201
    assert kit.submit(member, ev, story).status == 201

    # A sheet stored before 5.2 was checked (5.2 left out with a story) holds the close.
    with evaluation.db.unit_of_work() as uow:
        stored = uow.session.execute(
            select(models.ScoreSheet).where(
                models.ScoreSheet.evaluation_id == uuid.UUID(ev),
                models.ScoreSheet.account_id == uuid.UUID(member.account["id"]),
            )
        ).scalar_one()
        stored.answers = without
        uow.commit()
    held = kit.finalise(chair, ev)
    assert held.status == 409
    assert held.body["code"] == "evaluation.sheets_incomplete"
    assert held.body["params"] == {"sheets": 1, "criteria": ["5.2"]}
    mine = member("GET", f"/api/v1/evaluations/{ev}/sheets/mine")
    assert kit.revise(member, ev, story, mine.body["revision"]).status == 200
    closed = kit.finalise(chair, ev)
    assert closed.status == 200, closed.body
    assert closed.body["status"] == "closed"
