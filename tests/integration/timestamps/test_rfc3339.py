"""Every timestamp an API answers carries its UTC offset (RFC 3339, as the OpenAPI's
``date-time`` says), in both run modes: SQLite hands stored times back naive, and
``shared.db.UtcDateTime`` gives them back aware. The walk reads the list and detail endpoints of
each service about one case, from filing to the district council's close and the emails sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from tests.integration.notification.conftest import send
from tests.support import councils as kit
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts
from tests.unit.evaluation.sheets import answers_for


def _stamps(body: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every ``*_at`` value in a JSON answer, with where it was."""
    if isinstance(body, dict):
        for key, value in body.items():
            if key.endswith("_at") and isinstance(value, str):
                yield f"{path}.{key}", value
            else:
                yield from _stamps(value, f"{path}.{key}")
    elif isinstance(body, list):
        for i, item in enumerate(body):
            yield from _stamps(item, f"{path}[{i}]")


def _read(actor: flows.Actor, path: str, seen: dict[str, str]) -> None:
    reply = actor("GET", path)
    assert reply.status == 200, (path, reply.body)
    for where, value in _stamps(reply.body, path):
        seen[where] = value


def test_every_timestamp_an_api_answers_has_an_offset(
    call, admin, eval_call, note_call, registration, evaluation, notification, sink
) -> None:
    owner = kit.applicant(call)
    officer_reg = flows.create_official(admin, ["commune_officer"], flows.COMMUNE)
    officer = kit.on_evaluation(eval_call, officer_reg)
    secretariat = kit.official(admin, eval_call, ["secretariat"], kit.DISTRICT)
    council = kit.form_council(
        admin, eval_call, evaluation, level="district", unit=kit.DISTRICT, members=2
    )
    deliver_accounts(registration, notification)
    dossier = kit.accepted_case(registration, evaluation, owner, officer_reg)
    kit.propose(officer, dossier["id"])
    assigned = kit.assign(secretariat, dossier["id"], council.id)
    assert assigned.status == 201, assigned.body
    evaluation_id = assigned.body["id"]
    kit.score_all(council, evaluation_id, [answers_for(90, marks=4)] * 3)
    assert kit.finalise(council.secretary, evaluation_id).status == 200
    deliver(registration, notification, dossier["id"])
    deliver(evaluation, notification, dossier["id"])
    send(notification)

    per_service: dict[str, dict[str, str]] = {"registration": {}, "evaluation": {}, "notif": {}}
    on_reg, on_eval = per_service["registration"], per_service["evaluation"]
    case = f"/api/v1/dossiers/{dossier['id']}"
    for path in (
        "/api/v1/dossiers",
        case,
        f"{case}/documents",
        f"{case}/history",
        "/api/v1/producers",
        "/api/v1/accounts/me",
    ):
        _read(owner, path, on_reg)
    auditor = flows.create_official(admin, ["auditor"], kit.PROVINCE)
    _read(auditor, f"{case}/case-file", on_reg)
    for path in (
        "/api/v1/cases",
        f"/api/v1/cases/{dossier['id']}",
        "/api/v1/evaluations",
        f"/api/v1/evaluations/{evaluation_id}",
        f"/api/v1/evaluations/{evaluation_id}/sheets",
        "/api/v1/councils",
        f"/api/v1/councils/{council.id}",
        f"/api/v1/councils/{council.id}/members",
    ):
        _read(secretariat, path, on_eval)
    on_note = per_service["notif"]
    note = flows.Actor(note_call, owner.token, owner.account)
    for path in (
        f"/api/v1/deliveries?dossier_id={dossier['id']}",
        "/api/v1/deliveries/mine",
        "/api/v1/preferences/me",
    ):
        _read(note, path, on_note)

    for service, seen in per_service.items():
        assert len(seen) >= 3, (service, seen)  # the walk read timestamps, not empty lists
        for where, value in seen.items():
            parsed = datetime.fromisoformat(value)
            assert parsed.utcoffset() is not None, f"{service} {where} = {value!r}: no offset"
