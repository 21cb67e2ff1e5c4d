"""A notice of days off loaded after a re-evaluation's 45-day decision date was stored counts it
again (ADR 0010): the open case's date moves off the new day off, a decided case's stays, and a
correcting notice moves it back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import delete

from services.evaluation.domain.deadlines import REEVALUATION_DECISION
from services.evaluation.models import Case, calendar_notices
from shared.calendar import WorkingCalendar
from shared.events import Actor, new_event
from tests.support.cases import make_case

VIETNAM = WorkingCalendar()
COUNTED_FROM = date(2031, 3, 3)


@pytest.fixture()
def no_notice_left(evaluation: Any) -> Iterator[None]:
    """The other tests count on the public holidays alone."""
    yield
    with evaluation.db.engine.begin() as conn:
        conn.execute(delete(calendar_notices))


def _notice(evaluation: Any, reference: str, days_off: list[date]) -> None:
    event = new_event(
        "calendar.notice_loaded",
        {
            "year": COUNTED_FROM.year,
            "reference": reference,
            "days_off": [d.isoformat() for d in days_off],
            "working_days": [],
        },
        producer="registration",
        actor=Actor(None, "system"),
    )
    assert evaluation.inbox().consume(event.to_dict()) == "handled"


def test_a_notice_moves_an_open_reevaluations_decision_date(evaluation, no_notice_left) -> None:
    due = REEVALUATION_DECISION.due(COUNTED_FROM, VIETNAM)
    assert VIETNAM.is_working_day(due) and due == COUNTED_FROM + timedelta(days=45)
    with evaluation.db.unit_of_work() as uow:
        dated = {"decision_counted_from": COUNTED_FROM, "decision_due_on": due}
        kind = {"registration_type": "re_evaluation"}
        open_case = make_case(uow, stage="in_evaluation", **kind, **dated).dossier_id
        decided = make_case(uow, stage="recognised", **kind, **dated).dossier_id
        uow.commit()

    def due_on(dossier_id: Any) -> date | None:
        with evaluation.db.reader() as session:
            return session.get_one(Case, dossier_id).decision_due_on

    _notice(evaluation, "Thông báo nghỉ bù", [due])
    moved = due + timedelta(days=1)
    while not VIETNAM.is_working_day(moved):
        moved += timedelta(days=1)
    assert due_on(open_case) == moved  # the next working day (Civil Code Art. 148.5)
    assert due_on(decided) == due  # decided: nothing waits on it
    _notice(evaluation, "Thông báo đính chính", [])  # the year's notice replaced
    assert due_on(open_case) == due
