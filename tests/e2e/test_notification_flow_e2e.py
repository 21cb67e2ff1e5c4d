"""Notification's acceptance check: one dossier driven over HTTP between real processes, from the
applicant's submission to the province certificate, and then the SMTP sink read: each person
the recipient rules name gets exactly one email per event, in their own language, with the
facts of that event; nobody else gets any.

The case lives in Bến Tre (province 83, Thành phố Bến Tre 829, Phường Phú Khương 28756), where
no other test has officials, so everyone the rules can name is a person this test made.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.notification.sink import SmtpSink
from shared.catalogue import dates
from shared.rubrics import load_rubric
from tests.e2e.stack import Stack, free_port
from tests.support import councils as kit
from tests.support import flows, mailbox
from tests.support.environment import Environment
from tests.support.observe import eventually
from tests.unit.evaluation.sheets import answers_for

pytestmark = pytest.mark.e2e

PROVINCE, DISTRICT, COMMUNE = (
    "pre2025:province:83",
    "pre2025:district:829",
    "pre2025:commune:28756",
)
PORTAL = "http://portal.ocop.test"
SET_CODE = "04"
DECISION_NUMBER = "2468/QĐ-UBND"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # decisions are dated in Vietnam's day

# Who is told of each event of this flow, as the recipient rules say (written out here,
# not asked of the product): audience names, resolved to this test's people in ``_addresses``.
# Not told of anything here: the admin, other communes' officers.
TOLD: dict[str, tuple[str, ...]] = {
    # Nobody has taken the dossier yet: the commune's queue hears of it (here, one officer).
    "dossier.submitted": ("applicant", "consultant", "commune officers"),
    "dossier.accepted": ("applicant", "consultant"),
    "evaluation.opened commune": ("commune officers",),  # the commune review
    "evaluation.forwarded to district": ("applicant", "consultant", "district secretariat"),
    "evaluation.opened district": ("district council",),
    "evaluation.forwarded to province": (
        "applicant",
        "consultant",
        "province secretariat",
        "district council",  # the council whose result sends it up
    ),
    "evaluation.opened province": ("province council",),
    # The province council's result is the province's to recognise: its authority is asked.
    "evaluation.awaiting_decision province": ("province authority", "province council"),
    "evaluation.decided province": (
        "applicant",
        "consultant",
        "commune officers",
        "province council",  # the council whose result was recognised
    ),
    # Results go to the applicant and the commune (its handling officer) at every decision.
    "certificate.issued": ("applicant", "consultant", "commune officers"),
}
# Besides: each council.member_added tells the one new member (see ``_expected``).

# The subject of each event in each language ({product}, {number}, {council} filled in).
SUBJECTS: dict[str, dict[str, str]] = {
    "dossier.submitted": {
        "en": "[OCOP] Dossier submitted: {product}",
        "vi": "[OCOP] Hồ sơ đã nộp: {product}",
    },
    "dossier.accepted": {
        "en": "[OCOP] Dossier accepted: {product}",
        "vi": "[OCOP] Hồ sơ đã được tiếp nhận: {product}",
    },
    "evaluation.opened commune": {
        "en": "[OCOP] Commune evaluation: {product}",
        "vi": "[OCOP] Đánh giá cấp xã: {product}",
    },
    "evaluation.forwarded to district": {
        "en": "[OCOP] Forwarded to the district level: {product}",
        "vi": "[OCOP] Hồ sơ chuyển lên cấp huyện: {product}",
    },
    "evaluation.opened district": {
        "en": "[OCOP] District evaluation: {product}",
        "vi": "[OCOP] Đánh giá cấp huyện: {product}",
    },
    "evaluation.forwarded to province": {
        "en": "[OCOP] Forwarded to the province level: {product}",
        "vi": "[OCOP] Hồ sơ chuyển lên cấp tỉnh: {product}",
    },
    "evaluation.opened province": {
        "en": "[OCOP] Province evaluation: {product}",
        "vi": "[OCOP] Đánh giá cấp tỉnh: {product}",
    },
    "evaluation.awaiting_decision province": {
        "en": "[OCOP] Awaiting the province decision: {product}, 4 stars",
        "vi": "[OCOP] Chờ quyết định công nhận cấp tỉnh: {product}, 4 sao",
    },
    "evaluation.decided province": {
        "en": "[OCOP] Province decision: {product} recognised",
        "vi": "[OCOP] Kết quả cấp tỉnh: {product} được công nhận",
    },
    "certificate.issued": {
        "en": "[OCOP] Certificate {number}: {product}, 4 stars",
        "vi": "[OCOP] Giấy chứng nhận {number}: {product} 4 sao",
    },
    "council.member_added": {
        "en": "[OCOP] You have a seat on {council}",
        "vi": "[OCOP] Anh/Chị được bổ nhiệm vào {council}",
    },
}
GREETING = {"en": "Dear ", "vi": "Kính gửi "}


@pytest.fixture(scope="module")
def sink(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """A sink of this module's own (the session's data directory holds other modules' mail)."""
    with SmtpSink("127.0.0.1", free_port(), tmp_path_factory.mktemp("mail")) as running:
        yield running


@pytest.fixture(scope="module")
def stack(
    migrated: Environment, tmp_path_factory: pytest.TempPathFactory, sink: SmtpSink
) -> Iterator[Stack]:
    from services.registration.commands.seed import seed_demo
    from services.registration.runtime import Registration

    rt = Registration()
    seed_demo(rt)
    rt.close()
    s = Stack(
        migrated,
        tmp_path_factory.mktemp("logs"),
        OCOP_SMTP_PORT=str(sink.port),
        OCOP_PORTAL_URL=PORTAL,
        OCOP_RELAY_POLL_SECONDS="5",
    )
    try:
        for service in ("registration", "evaluation", "notification"):
            s.web(service, workers=1)
        for service in ("registration", "evaluation"):
            s.start(f"{service}-relay", "relay", service)
        s.start("evaluation-worker", "worker", "evaluation")
        s.start("notification-worker", "worker", "notification")
        s.start("notification-sender", "worker", "notification", "--sender")
        yield s
    finally:
        s.stop()


def _score(people: list[flows.Actor], evaluation_id: str, totals: list[int]) -> None:
    """The first ``len(totals)`` score (quorum 4 of 5); the others declare no conflict too."""
    sheet = load_rubric().sheet(SET_CODE)
    kit.score(people, evaluation_id, [answers_for(t, marks=4, sheet=sheet) for t in totals])
    for person in people[len(totals) :]:
        assert kit.declare(person, evaluation_id).status == 201


def _one_decimal(value: float) -> str:
    """A score as people read it: one decimal, half up (ADR 5)."""
    return str(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


@dataclass
class Flow:
    """What the drive left behind: the people by audience and the facts the emails must carry."""

    audiences: dict[str, list[flows.Actor]]
    english: set[str]  # addresses of the people who chose English
    seats: dict[str, str]  # address → the council it was seated on
    bystanders: set[str]  # this test's people whom no rule names here
    dossier_id: str
    product: str
    product_code: str
    certificate: dict[str, Any]
    result: dict[str, Any]  # the province council's means, as the evaluation API shows them


def _drive(stack: Stack) -> Flow:
    """One dossier from submission to the province certificate, over HTTP."""
    rcall = flows.http_transport(stack.urls["registration"])
    ecall = flows.http_transport(stack.urls["evaluation"])
    ncall = flows.http_transport(stack.urls["notification"])
    admin = flows.login(rcall, "admin@ocop.local")

    def official(role: str, unit: str) -> flows.Actor:
        return flows.create_official(admin, [role], unit).on(ecall)

    # An applicant whose account says English (the language reaches notification by event).
    applicant = flows.register(rcall, language="en", display_name="Tam Le")
    consultant = flows.register(rcall, "consultant")
    officer = official("commune_officer", COMMUNE)
    district_office = official("secretariat", DISTRICT)
    province_office = official("secretariat", PROVINCE)
    province_chair = official("decision_authority", PROVINCE)
    district_people = [official("council_member", DISTRICT) for _ in range(5)]
    province_people = [official("council_member", PROVINCE) for _ in range(5)]
    # A district member chooses English in the notification service itself; the account says vi.
    english_member = district_people[3]
    chose = ncall(
        "PUT", "/api/v1/preferences/me", token=english_member.token, json={"language": "en"}
    )
    assert chose.status == 200 and chose.body["language"] == "en", chose.body

    # Intake: the applicant's consultant is granted access, the dossier submitted and accepted.
    producer = flows.create_producer(applicant, COMMUNE)
    granted = applicant(
        "POST",
        f"/api/v1/producers/{producer['id']}/consultants",
        json={"email": consultant.account["email"]},
    )
    assert granted.status == 200, granted.body
    product = f"Kẹo dừa Phú Khương {uuid.uuid4().hex[:6]}"
    body = {**flows.dossier_body(producer["id"], SET_CODE), "product_name": product}
    created = applicant("POST", "/api/v1/dossiers", json=body)
    assert created.status == 201, created.body
    dossier_id = created.body["id"]
    assert flows.upload(applicant, dossier_id, "business_registration").status == 201
    submitted = flows.act(applicant, created.body, "submit")
    assert submitted.status == 200, submitted.body
    accepted = flows.act(officer.on(rcall), submitted.body, "accept")
    assert accepted.status == 200, accepted.body

    # Commune review, then the district council: 4★ goes up to the province.
    eventually(lambda: officer("GET", f"/api/v1/cases/{dossier_id}"), lambda r: r.status == 200)
    kit.propose(officer, dossier_id)
    district_council = "Hội đồng OCOP thành phố Bến Tre"
    d_id = kit.seat_over_api(
        district_office, district_people, name=district_council, level="district", unit=DISTRICT
    )
    opened = kit.assign(district_office, dossier_id, d_id)
    assert opened.status == 201, opened.body
    _score(district_people, opened.body["id"], [78, 80, 82, 79])
    assert kit.finalise(district_people[0], opened.body["id"]).status == 200

    # The province council: 4★ is the province chair's to recognise.
    province_council = "Hội đồng OCOP tỉnh Bến Tre"
    p_id = kit.seat_over_api(
        province_office, province_people, name=province_council, level="province", unit=PROVINCE
    )
    opened = kit.assign(province_office, dossier_id, p_id)
    assert opened.status == 201, opened.body
    _score(province_people, opened.body["id"], [84, 86, 85, 83])
    assert kit.finalise(province_people[1], opened.body["id"]).status == 200
    result = province_people[0]("GET", f"/api/v1/evaluations/{opened.body['id']}").body["result"]
    waiting = province_chair("GET", f"/api/v1/cases/{dossier_id}").body
    assert (waiting["stage"], waiting["pending_rank"]) == ("awaiting_decision", 4)
    decision = province_chair(
        "POST",
        f"/api/v1/cases/{dossier_id}/decisions",
        json={
            "decision_number": DECISION_NUMBER,
            "decided_on": datetime.now(VIETNAM).date().isoformat(),
            "version": waiting["version"],
        },
    )
    assert decision.status == 201, decision.body

    return Flow(
        audiences={
            "applicant": [applicant],
            "consultant": [consultant],
            "commune officers": [officer],
            "district secretariat": [district_office],
            "province secretariat": [province_office],
            "district council": district_people,
            "province council": province_people,
            "province authority": [province_chair],
        },
        english={applicant.account["email"], english_member.account["email"]},
        seats={p.account["email"]: district_council for p in district_people}
        | {p.account["email"]: province_council for p in province_people},
        bystanders={admin.account["email"]},
        dossier_id=dossier_id,
        product=product,
        product_code=accepted.body["product_code"],
        certificate=decision.body["certificate"],
        result=result,
    )


def test_everyone_concerned_gets_one_right_email_per_event(stack: Stack, sink: SmtpSink) -> None:
    flow = _drive(stack)

    def language(address: str) -> str:
        return "en" if address in flow.english else "vi"

    # (recipient, subject) → event: the subject differs per event, so it names the event.
    wanted: dict[tuple[str, str], str] = {}
    facts = {"product": flow.product, "number": flow.certificate["number"]}
    for event, names in TOLD.items():
        for address in {p.account["email"] for n in names for p in flow.audiences[n]}:
            wanted[(address, SUBJECTS[event][language(address)].format(**facts))] = event
    for address, council in flow.seats.items():
        subject = SUBJECTS["council.member_added"][language(address)].format(council=council)
        wanted[(address, subject)] = "council.member_added"

    people = {p.account["email"] for group in flow.audiences.values() for p in group}
    link = f"{PORTAL}/dossiers/{flow.dossier_id}"

    def fetch() -> list[mailbox.Mail]:
        """Mail about this case or to this test's people (an earlier module's events may still
        be mailed to others while this runs)."""
        return [
            m
            for m in mailbox.read(sink.store.directory)
            if (people | flow.bystanders) & set(m.rcpt_tos) or flow.dossier_id in m.text + m.html
        ]

    def complete(mails: list[mailbox.Mail]) -> bool:
        return set(wanted) <= {(a, m.subject) for m in mails for a in m.rcpt_tos}

    mails = mailbox.settle(fetch, complete, timeout=90)

    # Exactly the expected (recipient, event) pairs, each once; nobody else.
    received = Counter((a, m.subject) for m in mails for a in m.rcpt_tos)
    assert set(received) == set(wanted), (
        f"missing: {sorted(set(wanted) - set(received))}\n"
        f"unexpected: {sorted(set(received) - set(wanted))}"
    )
    assert {k: n for k, n in received.items() if n > 1} == {}, "someone got an email twice"
    assert len(mails) == len(wanted)
    message_ids = [str(m.message["Message-ID"]) for m in mails]
    assert len(set(message_ids)) == len(mails) and all(message_ids)

    for mail in mails:
        (address,) = mail.rcpt_tos
        event = wanted[(address, mail.subject)]
        _assert_shape(mail, address, language(address))
        if event == "council.member_added":
            assert flow.seats[address] in mail.text and link not in mail.text
            continue
        assert flow.product in mail.text and flow.product in mail.html
        assert link in mail.text and f'href="{link}"' in mail.html
        for fact in _facts(event, language(address), flow):
            assert fact in mail.text, (event, address, fact, mail.text)


def _assert_shape(mail: mailbox.Mail, address: str, lang: str) -> None:
    """What every email is (docs/quality.md item 17), in the recipient's language."""
    message = mail.message
    assert address in str(message["To"])
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Date"] and message["Message-ID"]
    assert mail.text.startswith(GREETING[lang]), (address, mail.text)
    assert f'<html lang="{lang}">' in mail.html


def _facts(event: str, lang: str, flow: Flow) -> list[str]:
    """What the text of ``event``'s email must say beyond the product and the link."""
    en = lang == "en"
    certificate = flow.certificate
    if event == "dossier.accepted":
        return [flow.product_code]
    if event == "evaluation.forwarded to province":
        return ["(result: 4 stars)" if en else "(kết quả 4 sao)"]
    if event == "evaluation.awaiting_decision province":
        return [
            "4 stars" if en else "hạng 4 sao",
            f"{'Total' if en else 'Tổng điểm'}: {_one_decimal(flow.result['total'])}",
        ]
    if event == "evaluation.decided province":
        parts = flow.result["parts"]
        assert set(parts) == {"A", "B", "C"}
        return [
            "4 stars" if en else "hạng 4 sao",
            f"Decision number: {DECISION_NUMBER}" if en else f"Quyết định số: {DECISION_NUMBER}",
            *(
                f"{'Part' if en else 'Phần'} {part}: {_one_decimal(points)}"
                for part, points in parts.items()
            ),
            f"{'Total' if en else 'Tổng điểm'}: {_one_decimal(flow.result['total'])}",
        ]
    if event == "certificate.issued":
        return [
            certificate["number"],
            DECISION_NUMBER,
            # Dates as the reader's language writes them (06/12/2026, 6 Dec 2026).
            dates.day(certificate["issued_on"], lang),
            dates.day(certificate["expires_on"], lang),
            "4 stars" if en else "4 sao",
        ]
    return []
