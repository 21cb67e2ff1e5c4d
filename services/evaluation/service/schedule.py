"""Scheduled checks (Celery beat, daily and on demand): certificates entering their
re-evaluation window or expiring, evaluation rounds closing on open evaluations, and
re-evaluations nearing or past their 45-day decision limit.

A certificate whose holder filed a re-evaluation by its expiry is not expired while that case
is pending, up to 180 days after expiry (:func:`certificates.valid_until`); nor is it reminded
of a window it has already filed in.

Each notice is raised once: its key is recorded in ``notices`` in the same unit of work as its
event, so a re-run (or two beat processes) raises nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.evaluation.models import (
    Case,
    Certificate,
    Evaluation,
    Notice,
    Round,
    calendar_notices,
)
from services.evaluation.service import cases
from services.evaluation.service import certificates as certificate_service
from shared import calendar_store
from shared.certificates import WINDOW_OPENS_DAYS_BEFORE, reevaluation_window
from shared.db import Database, UnitOfWork
from shared.events import Actor

SYSTEM = Actor(None, "system")
# Remind this many days before the re-evaluation window closes (180 to 120 days before expiry).
WINDOW_CLOSING_REMINDER_DAYS = 14
# Warn this many working days before a round closes on an open evaluation.
ROUND_WARNING_WORKING_DAYS = 5
# Warn this many (calendar) days before a re-evaluation's 45-day decision limit.
REEVALUATION_WARNING_DAYS = 7


def _once(uow: UnitOfWork, key: str) -> bool:
    """Record ``key``; False if it was raised before (by this or another run)."""
    if uow.session.get(Notice, key) is not None:
        return False
    uow.session.add(Notice(key=key, raised_at=datetime.now(UTC)))
    return True


def _certificate_notice(uow: UnitOfWork, certificate: Certificate, today: date) -> None:
    case = uow.session.get(Case, certificate.dossier_id)
    assert case is not None
    window = reevaluation_window(certificate.expires_on)
    window_facts = {"window_opens_on": window.opens_on, "window_closes_on": window.closes_on}
    if certificate.expires_on < today:
        if certificate_service.valid_until(certificate) >= today:
            return  # a late filer's re-evaluation is pending: valid until it is decided
        certificate.status = "expired"
        if _once(uow, f"certificate.expired:{certificate.number}"):
            cases.publish(
                uow, case, "certificate.expired", certificate_service.facts(certificate), SYSTEM
            )
        return
    if certificate_service.pending_reevaluation(certificate) is not None:
        return  # filed already: nothing to remind
    reminders = (
        ("opened", window.opens_on),
        ("closing", window.closes_on - timedelta(days=WINDOW_CLOSING_REMINDER_DAYS)),
    )
    for name, from_day in reminders:
        if from_day <= today <= window.closes_on and _once(
            uow, f"certificate.expiring:{name}:{certificate.number}"
        ):
            cases.publish(
                uow,
                case,
                "certificate.expiring",
                {**certificate_service.facts(certificate), **window_facts},
                SYSTEM,
            )


def raise_certificate_notices(*, db: Database, today: date) -> int:
    """Expire what has expired and announce re-evaluation windows; returns certificates seen."""
    horizon = today + timedelta(days=WINDOW_OPENS_DAYS_BEFORE)
    with db.reader() as session:
        numbers = list(
            session.execute(
                select(Certificate.number).where(
                    Certificate.status == "valid", Certificate.expires_on <= horizon
                )
            ).scalars()
        )
    for number in numbers:  # one unit of work each: one bad row does not hold up the rest
        with db.unit_of_work() as uow:
            certificate = uow.session.get(Certificate, number)
            if certificate is None or certificate.status != "valid":
                continue
            _certificate_notice(uow, certificate, today)
            _commit_once(uow)
    return len(numbers)


def raise_round_deadlines(*, db: Database, today: date) -> int:
    """Warn before, and report after, the close of the round of every open evaluation."""
    with db.reader() as session:
        rows = session.execute(
            select(Evaluation.id, Round.closes_on)
            .join(Round, Evaluation.round_id == Round.id)
            .where(Evaluation.status == "open")
        ).all()
        calendar = calendar_store.working_calendar(session, calendar_notices)
    raised = 0
    for evaluation_id, closes_on in rows:
        if today > closes_on:
            kind = "deadline.breached"
        elif calendar.working_days_between(today, closes_on) <= ROUND_WARNING_WORKING_DAYS:
            kind = "deadline.approaching"
        else:
            continue
        with db.unit_of_work() as uow:
            evaluation = uow.session.get(Evaluation, evaluation_id)
            case = uow.session.get(Case, evaluation.dossier_id) if evaluation else None
            if case is None or not _once(uow, f"{kind}:round:{evaluation_id}"):
                continue
            cases.publish(
                uow,
                case,
                kind,
                {
                    "deadline": "round_close",
                    "due_on": closes_on,
                    "responsible_unit": None,
                    "council_id": evaluation.council_id if evaluation else None,
                },
                SYSTEM,
            )
            raised += _commit_once(uow)
    return raised


def _responsible_unit(case: Case) -> str:
    """The unit (``tree:level:code`` or ``national``) at whose level the case now is."""
    if case.level == "national":
        return "national"
    code = {
        "commune": case.commune_code,
        "district": case.district_code,
        "province": case.province_code,
    }[case.level]
    return f"{case.unit_tree}:{case.level}:{code}"


def _council_on(session: Session, case: Case) -> uuid.UUID | None:
    """The council whose open evaluation holds the case, if one does (the notification
    service escalates a deadline to its chair and secretary)."""
    return session.execute(
        select(Evaluation.council_id)
        .where(Evaluation.dossier_id == case.dossier_id, Evaluation.status == "open")
        .order_by(Evaluation.opened_at.desc())
        .limit(1)
    ).scalar_one_or_none()


def raise_reevaluation_deadlines(*, db: Database, today: date) -> int:
    """Warn before, and report after, the 45-day decision limit of every open re-evaluation."""
    with db.reader() as session:
        rows = session.execute(
            select(Case.dossier_id, Case.decision_due_on).where(
                Case.decision_due_on.is_not(None), Case.stage.not_in(cases.FINAL_STAGES)
            )
        ).all()
    raised = 0
    for dossier_id, due_on in rows:
        assert due_on is not None, "the query keeps the cases with a due date"
        if today > due_on:
            kind = "deadline.breached"
        elif (due_on - today).days <= REEVALUATION_WARNING_DAYS:
            kind = "deadline.approaching"
        else:
            continue
        with db.unit_of_work() as uow:
            case = uow.session.get(Case, dossier_id)
            # The due date is in the key: a case re-accepted after a return has a new limit.
            key = f"{kind}:reevaluation_decision:{dossier_id}:{due_on.isoformat()}"
            if (
                case is None
                or case.stage in cases.FINAL_STAGES
                or case.decision_due_on != due_on
                or not _once(uow, key)
            ):
                continue
            cases.publish(
                uow,
                case,
                kind,
                {
                    "deadline": "reevaluation_decision",
                    "due_on": due_on,
                    "responsible_unit": _responsible_unit(case),
                    "council_id": _council_on(uow.session, case),
                },
                SYSTEM,
            )
            raised += _commit_once(uow)
    return raised


def _commit_once(uow: UnitOfWork) -> int:
    """Commit; a concurrent run that recorded the same notice first wins, and this one yields."""
    try:
        uow.commit()
    except IntegrityError:
        uow.rollback()
        return 0
    return 1
