"""The commune's intake deadline through the API (registration owns it, issue 20.2): every
dossier answers ``intake_due_on``, 15 working days after its last (re)submission while it waits
for the commune's check, none otherwise; a year's notice of days off, loaded by an operator
(``ocop calendar load``), moves it, and reaches the evaluation service as the same notice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import delete, select

from services.cli import main
from services.evaluation.models import calendar_notices as evaluation_notices
from services.registration.domain.intake import INTAKE
from services.registration.models import calendar_notices as registration_notices
from shared import calendar_store
from shared.calendar import WorkingCalendar, today
from tests.support import flows

VIETNAM = WorkingCalendar()


@pytest.fixture()
def notices(registration: Any, evaluation: Any) -> Iterator[None]:
    """Leaves no notice behind: the other tests count on the public holidays alone."""
    yield
    for rt, table in ((registration, registration_notices), (evaluation, evaluation_notices)):
        with rt.db.engine.begin() as conn:
            conn.execute(delete(table))
    o = registration.outbox.c
    with registration.db.engine.begin() as conn:
        conn.execute(delete(registration.outbox).where(o.type == calendar_store.EVENT_TYPE))


def _submitted(call: flows.Transport) -> tuple[flows.Actor, dict[str, Any]]:
    applicant = flows.register(call, "applicant")
    dossier = flows.create_dossier(applicant, flows.create_producer(applicant)["id"])
    assert dossier["intake_due_on"] is None  # a draft waits for no check
    assert flows.upload(applicant, dossier["id"], "business_registration").status == 201
    submitted = flows.act(applicant, dossier, "submit")
    assert submitted.status == 200, submitted.body
    return applicant, submitted.body


def _load(tmp_path: Path, notice: dict[str, Any], capsys: Any) -> str:
    path = tmp_path / f"notice-{notice['year']}.json"
    path.write_text(json.dumps(notice, ensure_ascii=False), encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 0
    return capsys.readouterr().out


def test_a_dossier_answers_its_intake_deadline(call, commune_officer) -> None:
    applicant, submitted = _submitted(call)
    due = INTAKE.due(today(), VIETNAM)
    assert submitted["intake_due_on"] == due.isoformat()
    assert VIETNAM.working_days_between(today(), due) == 15
    # In the commune's queue, and on the dossier's own page, the same date.
    queue = commune_officer(
        "GET", "/api/v1/dossiers", query_string={"status": "submitted", "limit": 200}
    )
    listed = {d["id"]: d for d in queue.body["items"]}
    assert listed[submitted["id"]]["intake_due_on"] == due.isoformat()
    got = applicant("GET", f"/api/v1/dossiers/{submitted['id']}").body
    assert got["intake_due_on"] == due.isoformat()
    # Returned to the applicant, it waits for no check; resubmitted, 15 days run again from
    # the resubmission (today).
    missing = [{"item": "food_safety_certificate", "note": None}]
    returned = flows.act(commune_officer, submitted, "return", missing_items=missing)
    assert returned.status == 200 and returned.body["intake_due_on"] is None
    resubmitted = flows.act(applicant, returned.body, "resubmit")
    assert resubmitted.body["intake_due_on"] == due.isoformat()
    accepted = flows.act(commune_officer, resubmitted.body, "accept")
    assert accepted.status == 200 and accepted.body["intake_due_on"] is None


def test_a_notice_loaded_moves_it_in_registration_and_reaches_evaluation(
    call, registration, evaluation, notices, tmp_path, capsys
) -> None:
    applicant, submitted = _submitted(call)
    before = date.fromisoformat(submitted["intake_due_on"])
    day_off = VIETNAM.add_working_days(today(), 1)  # inside the 15 days
    notice = {
        "year": day_off.year,
        "reference": "Thông báo thử nghiệm",
        "days_off": [day_off.isoformat()],
        "working_days": [],
    }
    out = _load(tmp_path, notice, capsys)
    assert "Thông báo thử nghiệm loaded (days off: 1, working days: 0)" in out
    # The API answers a working day later.
    with registration.db.reader() as session:
        calendar = calendar_store.working_calendar(session, registration_notices)
    assert not calendar.is_working_day(day_off)
    after = VIETNAM.add_working_days(before, 1)
    assert INTAKE.due(today(), calendar) == after
    got = applicant("GET", f"/api/v1/dossiers/{submitted['id']}").body
    assert got["intake_due_on"] == after.isoformat()

    # The event tells the evaluation service the same notice.
    o = registration.outbox.c
    with registration.db.engine.connect() as conn:
        envelopes = [
            row.envelope
            for row in conn.execute(
                select(o.envelope).where(o.type == calendar_store.EVENT_TYPE).order_by(o.id)
            )
        ]
    assert [e["payload"] for e in envelopes] == [notice]
    assert evaluation.inbox().consume(envelopes[0]) == "handled"
    with evaluation.db.reader() as session:
        assert calendar_store.working_calendar(session, evaluation_notices) == calendar

    # Loaded again for the year (corrected: no day off), it replaces the first everywhere.
    corrected = {**notice, "reference": "Thông báo đính chính", "days_off": []}
    _load(tmp_path, corrected, capsys)
    with registration.db.engine.connect() as conn:
        latest = conn.execute(
            select(o.envelope).where(o.type == calendar_store.EVENT_TYPE).order_by(o.id.desc())
        ).first()
    assert latest is not None and evaluation.inbox().consume(latest.envelope) == "handled"
    # A late copy of the first load changes nothing.
    assert evaluation.inbox().consume(envelopes[0]) != "handled"
    for rt, table in ((registration, registration_notices), (evaluation, evaluation_notices)):
        with rt.db.reader() as session:
            kept = calendar_store.notices(session, table)
            assert [n.reference for n in kept] == ["Thông báo đính chính"]
            assert calendar_store.working_calendar(session, table).is_working_day(day_off)


def test_a_bad_notice_is_refused_with_what_is_wrong(tmp_path, capsys) -> None:
    path = tmp_path / "notice.json"
    path.write_text('{"year": 2027, "days_off": ["31/12/2027"]}', encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 1
    err = capsys.readouterr().err
    assert "reference" in err and "'31/12/2027' is not a date" in err
    assert main(["calendar", "load", str(tmp_path / "missing.json")]) == 1
