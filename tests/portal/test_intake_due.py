"""The commune's queue shows the intake deadline registration answers (``intake_due_on``): the
portal counts no days of its own (issue 20.2). A notice of days off loaded into registration
moves the date on the page, though the portal knows nothing of it."""

from __future__ import annotations

import html
import re
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy import delete

from services.registration.models import calendar_notices
from services.registration.service import calendar as calendar_service
from shared import calendar_store
from shared.calendar import Notice, WorkingCalendar, today
from tests.support import councils as kit
from tests.support import flows

VIETNAM = WorkingCalendar()


@pytest.fixture()
def notice_loaded(registration: Any) -> Iterator[date]:
    """A notice giving the next working day off, loaded into registration, and gone after."""
    day_off = VIETNAM.add_working_days(today(), 1)
    notice = Notice(day_off.year, "Thông báo thử nghiệm", days_off=frozenset({day_off}))
    with registration.db.unit_of_work() as uow:
        calendar_service.load_notice(uow=uow, notice=notice)
        uow.commit()
    yield day_off
    with registration.db.engine.begin() as conn:
        conn.execute(delete(calendar_notices))
        o = registration.outbox.c
        conn.execute(delete(registration.outbox).where(o.type == calendar_store.EVENT_TYPE))


def _row(page: str, product: str) -> str:
    """The text of the queue's row naming ``product``."""
    table = re.search(r"<table data-queue>.*?</table>", page, re.S)
    assert table, "no queue"
    for row in re.findall(r"<tr>.*?</tr>", table.group(0), re.S):
        text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)))
        if product in text:
            return text
    raise AssertionError(f"{product} not in the queue")


def _filed(call: flows.Transport) -> tuple[str, dict[str, Any]]:
    product = f"Mật ong bạc hà {uuid.uuid4().hex[:6]}"
    applicant = flows.register(call, "applicant")
    producer = flows.create_producer(applicant)
    body = {**flows.dossier_body(producer["id"], kit.SET_CODE), "product_name": product}
    reply = applicant("POST", "/api/v1/dossiers", json=body)
    assert reply.status == 201, reply.body
    assert flows.upload(applicant, reply.body["id"], "business_registration").status == 201
    submitted = flows.act(applicant, reply.body, "submit")
    assert submitted.status == 200, submitted.body
    return product, submitted.body


@pytest.fixture()
def officer_home(new_browser: Any, admin: flows.Actor, eval_call: flows.Transport) -> Any:
    officer = kit.official(admin, eval_call, ["commune_officer"], flows.COMMUNE)
    browser = new_browser()
    browser.sign_in(officer.account["email"])
    return browser


def test_the_queue_shows_the_intake_deadline_registration_answers(
    call: flows.Transport, officer_home: Any
) -> None:
    product, dossier = _filed(call)
    due = VIETNAM.add_working_days(today(), 15)
    assert dossier["intake_due_on"] == due.isoformat()
    assert f"{due:%d/%m/%Y}" in _row(officer_home.get("/"), product)


def test_a_notice_loaded_into_registration_moves_the_date_on_the_page(
    call: flows.Transport, officer_home: Any, notice_loaded: date
) -> None:
    product, dossier = _filed(call)
    moved = VIETNAM.add_working_days(VIETNAM.add_working_days(today(), 15), 1)
    assert dossier["intake_due_on"] == moved.isoformat()
    row = _row(officer_home.get("/"), product)
    assert f"{moved:%d/%m/%Y}" in row
    assert f"{VIETNAM.add_working_days(today(), 15):%d/%m/%Y}" not in row


def test_the_dossier_page_shows_the_intake_deadline_while_the_commune_checks_it(
    call: flows.Transport, officer_home: Any
) -> None:
    _product, dossier = _filed(call)
    page = officer_home.get(f"/dossiers/{dossier['id']}")
    assert "Hạn kiểm tra hồ sơ (15 ngày làm việc)" in page
    due = re.search(r"<dd data-intake-due>(.*?)</dd>", page)
    assert due and due.group(1) == f"{VIETNAM.add_working_days(today(), 15):%d/%m/%Y}"
