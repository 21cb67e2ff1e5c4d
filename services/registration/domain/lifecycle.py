"""The dossier lifecycle: one transition table, (status, action) → new status, with who may act.

    draft ─submit→ submitted ─accept→ accepted (handed to evaluation; its commune review may
                       │                  return it: accepted ─return→ returned)
                       │  └─return→ returned ─resubmit→ resubmitted ─accept→ accepted
                       │                                     └─return→ returned
    submitted / returned / resubmitted / accepted ─withdraw→ withdrawn   (before a decision)

Returning for supplement (yêu cầu bổ sung, hoàn thiện hồ sơ) lists what is missing.

Withdrawal is the applicant's until a level has decided the case: once evaluation announces a
decision that ends it (``evaluation.decided`` recognised, not recognised or rejected; a return
for completion is not one), the dossier records it (``Dossier.decided_outcome``) and stays
accepted: a recognised product keeps its certificate, a refusal stands on the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TypedDict, Unpack


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    RESUBMITTED = "resubmitted"
    ACCEPTED = "accepted"
    WITHDRAWN = "withdrawn"


class Action(StrEnum):
    SUBMIT = "submit"
    RETURN = "return"
    RESUBMIT = "resubmit"
    ACCEPT = "accept"
    WITHDRAW = "withdraw"


APPLICANT_SIDE = frozenset({"applicant", "consultant"})
COMMUNE = frozenset({"commune_officer"})
# The service itself, applying a decision taken in another service (the commune review).
SYSTEM = frozenset({"system"})


@dataclass(frozen=True, slots=True)
class Transition:
    to: Status
    roles: frozenset[str]
    event: str
    # Only while no level has decided the case (withdrawal: "before a decision").
    before_decision: bool = False


TRANSITIONS: dict[tuple[Status, Action], Transition] = {
    (Status.DRAFT, Action.SUBMIT): Transition(
        Status.SUBMITTED, APPLICANT_SIDE, "dossier.submitted"
    ),
    (Status.SUBMITTED, Action.RETURN): Transition(Status.RETURNED, COMMUNE, "dossier.returned"),
    (Status.SUBMITTED, Action.ACCEPT): Transition(Status.ACCEPTED, COMMUNE, "dossier.accepted"),
    (Status.RETURNED, Action.RESUBMIT): Transition(
        Status.RESUBMITTED, APPLICANT_SIDE, "dossier.resubmitted"
    ),
    (Status.RESUBMITTED, Action.RETURN): Transition(Status.RETURNED, COMMUNE, "dossier.returned"),
    (Status.RESUBMITTED, Action.ACCEPT): Transition(Status.ACCEPTED, COMMUNE, "dossier.accepted"),
    # The commune review (in the evaluation service) sent an accepted dossier back for completion.
    (Status.ACCEPTED, Action.RETURN): Transition(Status.RETURNED, SYSTEM, "dossier.returned"),
    **{
        (status, Action.WITHDRAW): Transition(
            Status.WITHDRAWN, APPLICANT_SIDE, "dossier.withdrawn", before_decision=True
        )
        for status in (Status.SUBMITTED, Status.RETURNED, Status.RESUBMITTED, Status.ACCEPTED)
    },
}

# Where the commune's intake has the dossier: its officers take and hand it on (the handler).
AT_THE_COMMUNE = frozenset({Status.SUBMITTED, Status.RETURNED, Status.RESUBMITTED})

# The applicant may change the content only while the dossier is in its hands.
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})


class TransitionParams(TypedDict, total=False):
    """What a refused edge names for the reader's words."""

    status: str
    action: str


class TransitionError(Exception):
    """An edge that is not in the table; ``code`` and ``params`` say which, for the reader's
    words (the use case answers them as a domain error)."""

    def __init__(self, code: str, /, **params: Unpack[TransitionParams]) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


class RoleNotAllowed(TransitionError):
    """An edge that exists, but not for the caller's role."""


class DecidedAlready(TransitionError):
    """An edge that exists, but not once a level has decided the case."""


def next_status(
    status: Status, action: Action, roles: frozenset[str], *, decided: bool = False
) -> Transition:
    """The transition ``action`` takes from ``status`` for a caller with ``roles``; ``decided``
    when a level has decided the case."""
    transition = TRANSITIONS.get((status, action))
    if transition is None:
        raise TransitionError("dossier.action_not_allowed", status=status, action=action)
    if decided and transition.before_decision:
        raise DecidedAlready("dossier.decided_already", action=action)
    if not roles & transition.roles:
        raise RoleNotAllowed("dossier.role_not_allowed", action=action)
    return transition


def allowed_actions(status: Status, roles: frozenset[str], *, decided: bool = False) -> list[str]:
    """What the caller can do next, for clients that show only valid buttons."""
    return [
        action.value
        for (state, action), t in TRANSITIONS.items()
        if state == status and roles & t.roles and not (decided and t.before_decision)
    ]
