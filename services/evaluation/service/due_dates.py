"""Due dates counted again when a notice of days off is loaded (ADR 0010).

Evaluation stores one due date: a re-evaluation's 45-day decision (``Case.decision_due_on``),
counted from the acceptance of the complete dossier and moved off a day off. A notice loaded
after that (a Saturday declared a working day, an extra day off) may move it: when
``calendar.notice_loaded`` arrives, the notice is kept and every open case's due date is
counted again from the day it was counted from, in the same transaction. The daily check
(``schedule.raise_reevaluation_deadlines``) keys its notices by the due date, so a moved date is
warned of afresh. A revocation's 15 days are counted when the authority revokes (nothing
stored waits on them), and rounds close on the dates their secretariat set.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.evaluation.domain.deadlines import REEVALUATION_DECISION
from services.evaluation.models import Case, calendar_notices
from services.evaluation.service import cases
from shared import calendar_store
from shared.db import UnitOfWork
from shared.events import Event

log = logging.getLogger(__name__)

_record_notice = calendar_store.handler(calendar_notices)


def recount(session: Session) -> int:
    """Count every open re-evaluation's decision due date again on the notices kept now;
    the number of cases whose date moved."""
    calendar = calendar_store.working_calendar(session, calendar_notices)
    moved = 0
    open_cases = session.execute(
        select(Case).where(
            Case.decision_counted_from.is_not(None), Case.stage.not_in(cases.FINAL_STAGES)
        )
    ).scalars()
    for case in open_cases:
        assert case.decision_counted_from is not None  # selected so
        due_on = REEVALUATION_DECISION.due(case.decision_counted_from, calendar)
        if due_on != case.decision_due_on:
            log.info(
                "re-evaluation %s: decision due %s, was %s (notice of days off)",
                case.dossier_id,
                due_on,
                case.decision_due_on,
            )
            case.decision_due_on = due_on
            moved += 1
    session.flush()
    return moved


def on_notice_loaded(*, uow: UnitOfWork, event: Event) -> None:
    """Keep the notice, then count the stored due dates again on it."""
    _record_notice(uow=uow, event=event)
    uow.session.flush()
    recount(uow.session)
