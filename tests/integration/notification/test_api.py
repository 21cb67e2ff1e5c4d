"""The notification API: delivery logs by reach, the failed list and replay, preferences."""

from __future__ import annotations

from services.notification.sink import MAILBOX_UNAVAILABLE, FaultPlan
from tests.integration.notification.conftest import deliveries_of, send
from tests.support import flows
from tests.support.cases import deliver, deliver_accounts


def _submitted(call, registration, notification) -> tuple[flows.Actor, dict]:
    applicant = flows.register(call, "applicant")
    deliver_accounts(registration, notification)
    producer = flows.create_producer(applicant)
    dossier = flows.submitted_dossier(applicant, producer["id"])
    deliver(registration, notification, dossier["id"])
    return applicant, dossier


def test_the_dossier_log_is_read_by_the_people_on_the_case(
    call, admin, commune_officer, registration, notification, note_call, sink
) -> None:
    applicant, dossier = _submitted(call, registration, notification)
    send(notification)
    path = f"/api/v1/deliveries?dossier_id={dossier['id']}"

    mine = note_call("GET", path, token=applicant.token)
    assert mine.status == 200, mine.body
    assert {d["status"] for d in mine.body["items"]} == {"sent"}
    assert applicant.account["email"] in {d["email"] for d in mine.body["items"]}
    # The commune's queue (its officers, while nobody has taken it) and the operator (an admin
    # without a unit) read it too (ADR 0009).
    assert note_call("GET", path, token=commune_officer.token).status == 200
    operator = flows.create_official(admin, ["admin"], None)
    assert note_call("GET", path, token=operator.token).status == 200

    stranger = flows.register(call, "applicant")
    far = flows.create_official(admin, ["commune_officer"], flows.OTHER_COMMUNE)
    for outsider in (stranger, far):
        reply = note_call("GET", path, token=outsider.token)
        assert reply.status == 404
        assert reply.body["type"] == "urn:ocop:problem:not-found"
    assert note_call("GET", path).status == 401

    own = note_call("GET", "/api/v1/deliveries/mine", token=applicant.token)
    assert own.status == 200
    assert {d["account_id"] for d in own.body["items"]} == {applicant.account["id"]}


def test_operators_see_failed_deliveries_and_replay_them(
    call, admin, registration, notification, note_call, sink
) -> None:
    applicant = flows.register(call, "applicant")
    sink.faults = FaultPlan().reply(applicant.account["email"], MAILBOX_UNAVAILABLE)
    deliver_accounts(registration, notification)
    producer = flows.create_producer(applicant)
    dossier = flows.submitted_dossier(applicant, producer["id"])
    deliver(registration, notification, dossier["id"])
    send(notification)

    failed = note_call("GET", "/api/v1/deliveries/failed", token=admin.token)
    assert failed.status == 200
    (item,) = [d for d in failed.body["items"] if d["email"] == applicant.account["email"]]
    assert item["status"] == "failed_permanent" and "550" in item["last_error"]
    barred = note_call("GET", "/api/v1/deliveries/failed", token=applicant.token)
    assert barred.status == 403 and barred.body["code"] == "delivery.operators_only"

    replay = f"/api/v1/deliveries/{item['id']}/replay"
    assert note_call("POST", replay, token=applicant.token).status == 404
    replayed = note_call("POST", replay, token=admin.token)
    assert replayed.status == 200 and replayed.body["status"] == "queued"
    twice = note_call("POST", replay, token=admin.token)
    assert twice.status == 409 and twice.body["code"] == "delivery.not_failed"
    assert twice.body["params"] == {"delivery_status": "queued"}
    assert send(notification).sent == 1
    (row,) = [r for r in deliveries_of(notification, item["event_id"]) if str(r.id) == item["id"]]
    assert row.status == "sent"
    assert len([m for m in sink.store.list() if applicant.account["email"] in m.rcpt_tos]) == 1


def test_a_chosen_language_wins_over_the_account_default(
    call, registration, notification, note_call, sink
) -> None:
    applicant = flows.register(call, "applicant")
    deliver_accounts(registration, notification)
    assert note_call("GET", "/api/v1/preferences/me", token=applicant.token).body == {
        "language": "vi",
        "digest": False,
    }
    reply = note_call(
        "PUT", "/api/v1/preferences/me", token=applicant.token, json={"language": "en"}
    )
    assert reply.status == 200 and reply.body["language"] == "en"
    bad = note_call("PUT", "/api/v1/preferences/me", token=applicant.token, json={"language": "fr"})
    assert bad.status == 422
    assert (
        note_call(
            "PUT", "/api/v1/preferences/me", token=applicant.token, json={"status": "x"}
        ).status
        == 422
    )

    producer = flows.create_producer(applicant)
    dossier = flows.submitted_dossier(applicant, producer["id"])
    deliver(registration, notification, dossier["id"])
    send(notification)
    (stored,) = [m for m in sink.store.list() if applicant.account["email"] in m.rcpt_tos]
    assert stored.subject.startswith("[OCOP] Dossier submitted:")
