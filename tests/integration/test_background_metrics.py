"""``/metrics`` of each service carries what happens out of sight of its requests, read from
its database and the broker at scrape time: the outbox backlog and its oldest event's age, the
dead-letter depth, the notification service's waiting deliveries, the registration service's
ledger checkpoint age."""

from __future__ import annotations

import math
import re
from typing import Any

from sqlalchemy import func, select

from tests.support import flows


def _samples(client: Any) -> dict[str, float]:
    reply = client.get("/metrics")
    assert reply.status_code == 200
    found: dict[str, float] = {}
    for line in reply.get_data(as_text=True).splitlines():
        match = re.fullmatch(r"(ocop_[a-z_]+\{[^}]*\}) (\S+)", line)
        if match:
            found[match.group(1)] = float(match.group(2))
    return found


def _unpublished(rt: Any) -> int:
    o = rt.outbox.c
    with rt.db.reader() as session:
        return session.scalar(select(func.count()).where(o.published_at.is_(None)))


def test_the_outbox_backlog_is_what_waits_in_the_database(
    registration: Any, registration_app: Any, call: flows.Transport
) -> None:
    flows.register(call, "applicant")  # an account.created event, not published here
    samples = _samples(registration_app.test_client())
    backlog = samples['ocop_outbox_backlog{service="registration"}']
    assert backlog == _unpublished(registration) >= 1
    assert samples['ocop_outbox_oldest_seconds{service="registration"}'] > 0
    assert samples['ocop_dead_letters{service="registration"}'] >= 0
    age = samples['ocop_ledger_checkpoint_age_seconds{service="registration"}']
    assert math.isnan(age) or age >= 0


def test_evaluation_reports_its_outbox_and_dead_letters(evaluation_app: Any) -> None:
    samples = _samples(evaluation_app.test_client())
    assert samples['ocop_outbox_backlog{service="evaluation"}'] >= 0
    assert not math.isnan(samples['ocop_dead_letters{service="evaluation"}'])


def test_notification_reports_deliveries_not_sent_by_status(notification_app: Any) -> None:
    samples = _samples(notification_app.test_client())
    statuses = {
        re.search(r'status="(\w+)"', key).group(1)  # type: ignore[union-attr]
        for key in samples
        if key.startswith("ocop_deliveries_waiting{")
    }
    assert statuses == {"queued", "failed_transient", "failed_permanent", "held"}
