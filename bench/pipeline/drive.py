"""Scripted people driving dossiers through the HTTP APIs, as tests/e2e/test_evaluation_e2e.py
does for one: applicants file, the commune officer accepts and proposes, the district and the
province secretariat assign their council, four of its five members declare and score, the
chair (district) or secretary (province) finalises, the province's decision authority decides.

One district council and one province council score every dossier; the officials are the same
for all. Every request is timed; every request after which the dossier's public status in
registration should change is recorded with the time its response arrived (an ``Expect``).
"""

from __future__ import annotations

import queue
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from shared.calendar import today
from shared.rubrics import load_rubric
from tests.support import councils as kit
from tests.support import flows
from tests.unit.evaluation.sheets import answers_for

SET_CODE = "04"
DISTRICT = kit.DISTRICT  # pre2025:district:461, holding flows.COMMUNE
PROVINCE = kit.PROVINCE  # pre2025:province:45
SEATS = ("chair", "secretary", "member", "member", "member")
# Four of five score (quorum); 4★ at the district goes up, 4★ at the province is its own.
DISTRICT_TOTALS = (78, 80, 82, 79)
PROVINCE_TOTALS = (84, 86, 85, 83)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class StepFailed(Exception):
    pass


def check(reply: flows.Reply, status: int, what: str) -> Any:
    if reply.status != status:
        raise StepFailed(f"{what}: HTTP {reply.status} {str(reply.body)[:300]}")
    return reply.body


@dataclass
class Person:
    token: str
    account: dict[str, Any]


@dataclass(frozen=True)
class Expect:
    """After this request's response, registration's public status of the dossier should
    change through the event of ``type`` whose payload has ``match``."""

    dossier_id: str
    step: str  # propose, assign-district, finalise-district, assign-province, decide
    responded_at: float  # wall clock (time.time()), comparable with the databases' timestamps
    type: str
    match: tuple[tuple[str, str], ...]


@dataclass
class Timings:
    """Request latencies by route, and the expectations, of every thread (merged under a lock)."""

    requests: dict[str, list[float]] = field(default_factory=dict)
    expects: list[Expect] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def merge(self, requests: dict[str, list[float]], expects: list[Expect]) -> None:
        with self.lock:
            for route, values in requests.items():
                self.requests.setdefault(route, []).extend(values)
            self.expects.extend(expects)

    def failed(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)


class Client:
    """One thread's sessions on both APIs, timing every request by route."""

    def __init__(self, urls: dict[str, str]) -> None:
        self.requests: dict[str, list[float]] = {}
        self.expects: list[Expect] = []
        self.reg = self._timed("registration", flows.http_transport(urls["registration"]))
        self.ev = self._timed("evaluation", flows.http_transport(urls["evaluation"]))

    def _timed(self, service: str, call: flows.Transport) -> flows.Transport:
        def timed(method: str, path: str, **kw: Any) -> flows.Reply:
            t0 = time.perf_counter()
            reply = call(method, path, **kw)
            route = f"{service} {method} {_UUID.sub('{id}', path)}"
            self.requests.setdefault(route, []).append(time.perf_counter() - t0)
            return reply

        return timed

    def on_reg(self, person: Person) -> flows.Actor:
        return flows.Actor(self.reg, person.token, person.account)

    def on_ev(self, person: Person) -> flows.Actor:
        return flows.Actor(self.ev, person.token, person.account)

    def expect(self, dossier_id: str, step: str, type_: str, **match: str) -> None:
        self.expects.append(
            Expect(dossier_id, step, time.time(), type_, tuple(sorted(match.items())))
        )


@dataclass
class Cast:
    """The people of the run and the two councils."""

    officer: Person
    district_office: Person
    province_office: Person
    province_chair: Person
    district: list[Person]  # chair, secretary, member × 3
    province: list[Person]
    applicants: list[tuple[Person, str]]  # with their producer's id
    district_council: str = ""
    province_council: str = ""


def _person(actor: flows.Actor) -> Person:
    return Person(actor.token, actor.account)


def eventually(fetch: Callable[[], flows.Reply], status: int, timeout: float = 90) -> flows.Reply:
    deadline = time.monotonic() + timeout
    while True:
        reply = fetch()
        if reply.status == status or time.monotonic() > deadline:
            return reply
        time.sleep(0.2)


def cast(urls: dict[str, str], applicants: int) -> Cast:
    """Create the officials (as the admin) and the applicants, and seat the two councils (each
    seat answers 422 until the evaluation worker has seen the account's account.created)."""
    client = Client(urls)
    admin = flows.login(client.reg, "admin@ocop.local")

    def official(role: str, unit: str) -> Person:
        return _person(flows.create_official(admin, [role], unit))

    people = Cast(
        officer=official("commune_officer", flows.COMMUNE),
        district_office=official("secretariat", DISTRICT),
        province_office=official("secretariat", PROVINCE),
        province_chair=official("decision_authority", PROVINCE),
        district=[official("council_member", DISTRICT) for _ in SEATS],
        province=[official("council_member", PROVINCE) for _ in SEATS],
        applicants=[],
    )
    for _ in range(applicants):
        applicant = flows.register(client.reg, "applicant")
        people.applicants.append((_person(applicant), flows.create_producer(applicant)["id"]))
    for level, unit, office, members in (
        ("district", DISTRICT, people.district_office, people.district),
        ("province", PROVINCE, people.province_office, people.province),
    ):
        secretariat = client.on_ev(office)
        body = {"name": f"Hội đồng OCOP {level} (bench)", "level": level, "unit": unit}
        council = check(secretariat("POST", "/api/v1/councils", json=body), 201, "council")
        for member, seat in zip(members, SEATS, strict=True):
            seat_body = {"account_id": member.account["id"], "role": seat}
            path = f"/api/v1/councils/{council['id']}/members"
            reply = eventually(lambda s=secretariat, p=path, b=seat_body: s("POST", p, json=b), 201)
            check(reply, 201, f"seat {seat} on the {level} council")
        setattr(people, f"{level}_council", council["id"])
    return people


def file_dossier(client: Client, people: Cast, applicant: Person, producer_id: str) -> str:
    """Registration's part: filed, one document, submitted, accepted by the commune."""
    owner = client.on_reg(applicant)
    body = flows.dossier_body(producer_id, SET_CODE)
    dossier = check(owner("POST", "/api/v1/dossiers", json=body), 201, "create")
    check(flows.upload(owner, dossier["id"], "business_registration"), 201, "upload")
    submitted = check(flows.act(owner, dossier, "submit"), 200, "submit")
    check(flows.act(client.on_reg(people.officer), submitted, "accept"), 200, "accept")
    return str(dossier["id"])


@dataclass(frozen=True)
class Answers:
    district: tuple[dict[str, Any], ...]
    province: tuple[dict[str, Any], ...]

    @classmethod
    def build(cls) -> Answers:
        sheet = load_rubric().sheet(SET_CODE)
        return cls(
            tuple(answers_for(t, marks=4, sheet=sheet) for t in DISTRICT_TOTALS),
            tuple(answers_for(t, marks=4, sheet=sheet) for t in PROVINCE_TOTALS),
        )


def _score(client: Client, members: list[Person], evaluation_id: str, answers: tuple) -> None:
    for member, sheet in zip(members, answers, strict=False):
        actor = client.on_ev(member)
        check(kit.declare(actor, evaluation_id), 201, "declare")
        check(kit.submit(actor, evaluation_id, sheet), 201, "sheet")


def _assign(client: Client, office: Person, dossier_id: str, council_id: str, level: str) -> str:
    opened = check(kit.assign(client.on_ev(office), dossier_id, council_id), 201, f"assign {level}")
    client.expect(dossier_id, f"assign-{level}", "evaluation.opened", council_id=council_id)
    return str(opened["id"])


def evaluate(client: Client, people: Cast, answers: Answers, dossier_id: str) -> None:
    """Evaluation's part: commune review, district council, province council, decision."""
    officer = client.on_ev(people.officer)
    case = check(officer("GET", f"/api/v1/cases/{dossier_id}"), 200, "case")
    body = kit.review_body(case["version"], "propose")
    path = f"/api/v1/cases/{dossier_id}/commune-review"
    check(officer("POST", path, json=body), 200, "propose")
    client.expect(dossier_id, "propose", "evaluation.forwarded", to_level="district")

    d_eval = _assign(
        client, people.district_office, dossier_id, people.district_council, "district"
    )
    _score(client, people.district, d_eval, answers.district)
    check(kit.finalise(client.on_ev(people.district[0]), d_eval), 200, "finalise district")
    client.expect(dossier_id, "finalise-district", "evaluation.forwarded", to_level="province")

    p_eval = _assign(
        client, people.province_office, dossier_id, people.province_council, "province"
    )
    _score(client, people.province, p_eval, answers.province)
    # A 4★ province result waits for the authority's decision: no event, no new public status.
    check(kit.finalise(client.on_ev(people.province[1]), p_eval), 200, "finalise province")

    chair = client.on_ev(people.province_chair)
    case = check(chair("GET", f"/api/v1/cases/{dossier_id}"), 200, "case")
    decision = {
        "decision_number": f"{dossier_id[:8]}/QĐ-UBND",
        "decided_on": today().isoformat(),
        "version": case["version"],
    }
    path = f"/api/v1/cases/{dossier_id}/decisions"
    check(chair("POST", path, json=decision), 201, "decide")
    client.expect(dossier_id, "decide", "certificate.issued")


def run_threads(
    clients: int,
    items: list[Any],
    urls: dict[str, str],
    timings: Timings,
    work: Callable[[Client, int, Any], Any],
) -> list[Any]:
    """``work(client, thread_index, item)`` for every item, from ``clients`` threads each with
    its own sessions; returns the results of the items that succeeded, in completion order."""
    todo: queue.SimpleQueue[Any] = queue.SimpleQueue()
    for item in items:
        todo.put(item)
    done: list[Any] = []
    lock = threading.Lock()

    def loop(index: int) -> None:
        client = Client(urls)
        while True:
            try:
                item = todo.get_nowait()
            except queue.Empty:
                break
            try:
                result = work(client, index, item)
            except (StepFailed, AssertionError, OSError) as exc:
                timings.failed(f"{item}: {exc}")
                continue
            with lock:
                done.append(result)
        timings.merge(client.requests, client.expects)

    threads = [threading.Thread(target=loop, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return done
