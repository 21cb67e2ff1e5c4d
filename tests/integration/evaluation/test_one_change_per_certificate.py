"""One change of a certificate at a time (issue 20, decision rules): while a re-evaluation of a
certificate is under way no upgrade of it is opened, and of two upgrades submitted at the same
instant only one is filed. The database holds it (a unique partial index), not only the check
before the write: a second dossier under way for a certificate cannot be written at all."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from services.registration.models import Dossier
from shared.certificates import add_months
from tests.integration.evaluation.test_decisions import assert_problem, days_ago, sign_in_people
from tests.integration.evaluation.test_upgrade import certify, file
from tests.support import flows


@pytest.fixture(scope="module")
def people(call, admin, eval_call, commune_officer) -> dict[str, Any]:
    return sign_in_people(call, admin, eval_call, commune_officer)


def _submit(people: dict[str, Any], dossier_id: str) -> flows.Reply:
    applicant = people["registration_applicant"]
    current = applicant("GET", f"/api/v1/dossiers/{dossier_id}").body
    return flows.act(applicant, current, "submit")


def _under_way(registration: Any, number: str) -> list[uuid.UUID]:
    with registration.db.reader() as session:
        return list(
            session.execute(
                select(Dossier.id).where(
                    Dossier.certificate_number == number,
                    Dossier.registration_type.in_(("upgrade", "re_evaluation")),
                    Dossier.status.in_(("submitted", "returned", "resubmitted", "accepted")),
                    Dossier.decided_outcome.is_(None),
                )
            ).scalars()
        )


def test_one_upgrade_or_reevaluation_of_a_certificate_at_a_time(
    registration, evaluation, commune_officer, people
) -> None:
    # A 3★ certificate expiring in 150 days: its re-evaluation window is open.
    issued_on = add_months(days_ago(-150), -36)
    cert = certify(registration, evaluation, commune_officer, people, issued_on=issued_on)
    number = cert["number"]
    applicant = people["registration_applicant"]

    reevaluation = file(people, "re_evaluation", number)
    assert reevaluation.status == 201, reevaluation.body
    assert flows.upload(applicant, reevaluation.body["id"], "business_registration").status == 201
    assert _submit(people, reevaluation.body["id"]).status == 200

    # While it is under way, an upgrade of the same certificate is not even opened.
    body = assert_problem(file(people, "upgrade", number), 422, "validation-error")
    assert body["field_codes"] == {"certificate_number": "certificate.reevaluation_under_way"}
    withdrawn = applicant("GET", f"/api/v1/dossiers/{reevaluation.body['id']}").body
    assert flows.act(applicant, withdrawn, "withdraw").status == 200

    # Two upgrades prepared, submitted at the same instant: one is filed, the other refused.
    drafts = [file(people, "upgrade", number).body["id"] for _ in range(2)]
    for draft in drafts:
        assert flows.upload(applicant, draft, "business_registration").status == 201
    start = threading.Barrier(len(drafts))
    replies: dict[str, flows.Reply] = {}

    def submit(draft: str) -> None:
        start.wait()
        replies[draft] = _submit(people, draft)

    threads = [threading.Thread(target=submit, args=(draft,)) for draft in drafts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    statuses = sorted(reply.status for reply in replies.values())
    assert statuses[0] == 200 and statuses[1] in (409, 422), {
        d: (r.status, r.body) for d, r in replies.items()
    }
    [filed] = [d for d, r in replies.items() if r.status == 200]
    assert [str(d) for d in _under_way(registration, number)] == [filed]

    # The database itself refuses a second one under way, whatever wrote it.
    [other] = [d for d in drafts if d != filed]
    with pytest.raises(IntegrityError), registration.db.unit_of_work() as uow:
        uow.session.execute(
            update(Dossier).where(Dossier.id == uuid.UUID(other)).values(status="submitted")
        )
        uow.commit()
    assert [str(d) for d in _under_way(registration, number)] == [filed]
