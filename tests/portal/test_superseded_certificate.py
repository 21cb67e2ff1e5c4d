"""A dossier whose certificate an upgrade superseded says so on its page and names the
successor, in the reader's language (issue 20.3)."""

from __future__ import annotations

from typing import Any

from tests.integration.evaluation.test_decided_and_upgrades import accepted, certify
from tests.integration.evaluation.test_decisions import (
    awaiting_decision,
    days_ago,
    decide,
    sign_in_people,
)
from tests.support import flows
from tests.support.cases import deliver


def superseded(
    registration: Any, evaluation: Any, commune_officer: flows.Actor, people: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """A 3★ certificate, then an upgrade of it recognised 4★ by the province: the old
    certificate, the upgrade's dossier and the number of the certificate that supersedes it."""
    old = certify(registration, evaluation, commune_officer, people, star_rank=3)
    upgrade = accepted(registration, evaluation, commune_officer, people, "upgrade", old["number"])
    version = awaiting_decision(
        evaluation, upgrade["id"], star_rank=4, level="province", closed_on=days_ago(4)
    )
    reply = decide(people["province_authority"], upgrade["id"], version, days_ago(1))
    assert reply.status == 201, reply.body
    return old, upgrade, reply.body["certificate"]["number"]


def test_the_superseded_certificates_dossier_names_its_successor(
    new_browser: Any,
    call: flows.Transport,
    admin: flows.Actor,
    eval_call: flows.Transport,
    commune_officer: flows.Actor,
    registration: Any,
    evaluation: Any,
) -> None:
    people = sign_in_people(call, admin, eval_call, commune_officer)
    old, upgrade, new = superseded(registration, evaluation, commune_officer, people)
    deliver(evaluation, registration, upgrade["id"])

    browser = new_browser()
    browser.sign_in(people["registration_applicant"].account["email"])
    page = browser.get(f"/dossiers/{old['dossier_id']}")
    assert browser.status == 200
    assert f"giấy chứng nhận {old['number']} đã được thay thế bởi {new} (4★)" in page
    assert f'data-superseded-by="{new}"' in page
    assert f"đã được thay thế bởi giấy chứng nhận {new}" in page
    english = browser.get(f"/dossiers/{old['dossier_id']}?lang=en")
    assert f"certificate {old['number']} superseded by {new} (4★)" in english
    assert f"superseded by certificate {new}" in english
    # The successor's page shows the valid one, superseded by nothing.
    successor = browser.get(f"/dossiers/{upgrade['id']}")
    assert new in successor and "data-superseded-by" not in successor
