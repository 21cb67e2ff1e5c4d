"""The dossier transition table."""

from __future__ import annotations

import pytest

from services.registration.domain.lifecycle import (
    TRANSITIONS,
    Action,
    DecidedAlready,
    RoleNotAllowed,
    Status,
    TransitionError,
    allowed_actions,
    next_status,
)

APPLICANT = frozenset({"applicant"})
OFFICER = frozenset({"commune_officer"})
AUDITOR = frozenset({"auditor"})


def test_the_happy_path() -> None:
    status = Status.DRAFT
    for action, roles in (
        (Action.SUBMIT, APPLICANT),
        (Action.RETURN, OFFICER),
        (Action.RESUBMIT, APPLICANT),
        (Action.ACCEPT, OFFICER),
    ):
        status = next_status(status, action, roles).to
    assert status is Status.ACCEPTED


@pytest.mark.parametrize("status", list(Status))
@pytest.mark.parametrize("action", list(Action))
def test_every_edge_is_in_the_table_or_refused(status: Status, action: Action) -> None:
    all_roles = frozenset(
        {"applicant", "consultant", "commune_officer", "auditor", "admin", "system"}
    )
    if (status, action) in TRANSITIONS:
        assert next_status(status, action, all_roles).to == TRANSITIONS[(status, action)].to
    else:
        with pytest.raises(TransitionError) as info:
            next_status(status, action, all_roles)
        assert not isinstance(info.value, RoleNotAllowed)


def test_roles_are_checked_on_existing_edges() -> None:
    with pytest.raises(RoleNotAllowed):
        next_status(Status.SUBMITTED, Action.ACCEPT, APPLICANT)
    with pytest.raises(RoleNotAllowed):
        next_status(Status.DRAFT, Action.SUBMIT, OFFICER)
    for status in Status:
        assert allowed_actions(status, AUDITOR) == []


def test_withdrawn_is_final_and_accepted_only_withdraws() -> None:
    assert allowed_actions(Status.WITHDRAWN, APPLICANT | OFFICER) == []
    assert allowed_actions(Status.ACCEPTED, APPLICANT | OFFICER) == ["withdraw"]
    assert sorted(allowed_actions(Status.SUBMITTED, OFFICER)) == ["accept", "return"]


def test_a_decided_dossier_is_not_withdrawn_and_nothing_else_changes() -> None:
    with pytest.raises(DecidedAlready):
        next_status(Status.ACCEPTED, Action.WITHDRAW, APPLICANT, decided=True)
    assert allowed_actions(Status.ACCEPTED, APPLICANT | OFFICER, decided=True) == []
    # Only withdrawal waits on the decision; every other edge is as without one.
    for (status, action), transition in TRANSITIONS.items():
        assert transition.before_decision == (action is Action.WITHDRAW)
        if action is not Action.WITHDRAW:
            assert next_status(status, action, transition.roles, decided=True) == transition
