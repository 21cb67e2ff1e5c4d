"""A self-assessment's conditional criterion (issue 20, point 1): with a product story, 5.2
"only with a product story" must be answered before the dossier is submitted; without one
it may be left out."""

from __future__ import annotations

from tests.support import flows


def test_a_story_needs_its_structure_answered_and_no_story_does_not(call) -> None:
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    dossier = flows.create_dossier(applicant, producer["id"])
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    story = dict(dossier["self_assessment"])
    assert story["5.1"] != "a"  # the best answers: a documented story
    del story["5.2"]

    path = f"/api/v1/dossiers/{dossier['id']}"
    edited = applicant(
        "PATCH", path, json={"version": dossier["version"], "self_assessment": story}
    )
    assert edited.status == 200, edited.body  # a draft may leave it for later
    refused = flows.act(applicant, edited.body, "submit")
    assert refused.status == 422
    assert refused.body["field_codes"] == {"self_assessment.5.2": "answer.missing"}
    assert refused.body["field_params"]["self_assessment.5.2"] == {"expected": "a, b, c"}
    assert list(refused.body["errors"]["self_assessment"]) == ["5.2"]

    no_story = {**story, "5.1": "a"}
    edited = applicant(
        "PATCH", path, json={"version": edited.body["version"], "self_assessment": no_story}
    )
    assert edited.status == 200, edited.body
    submitted = flows.act(applicant, edited.body, "submit")
    assert submitted.status == 200, submitted.body
    assert submitted.body["self_assessment"] == no_story
