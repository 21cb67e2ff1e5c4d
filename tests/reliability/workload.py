"""A few hundred workflow operations over HTTP, chosen at random (seeded) among the moves the
dossier lifecycle allows: file (create and upload), submit, assign, return, resubmit, accept,
withdraw. The driver keeps its own model of each dossier (status, version) and of the events
each successful operation must have caused: the fault runs compare what the processes did
against it."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support import flows

#: The event each lifecycle move causes (registration's lifecycle table).
EVENT_OF = {
    "submit": "dossier.submitted",
    "return": "dossier.returned",
    "resubmit": "dossier.resubmitted",
    "accept": "dossier.accepted",
    "withdraw": "dossier.withdrawn",
    "assign": "dossier.assigned",
    "upload": "dossier.document_added",
}
OFFICER_MOVES = ("assign", "return", "accept")
#: The moves open from each status (accepted and withdrawn dossiers rest: no evaluation runs).
MOVES = {
    "draft": ("submit",),
    "submitted": ("assign", "return", "accept", "withdraw"),
    "resubmitted": ("assign", "return", "accept", "withdraw"),
    "returned": ("resubmit", "withdraw"),
}
MISSING = [{"item": "test_report", "note": "Thiếu phiếu kiểm nghiệm"}]
#: Communes of Đông Hà no other suite files in. Each run takes its own (by seed): the commune's
#: officers are told of every dossier filed there, so in a shared one the run's officer would
#: be mailed about other suites' dossiers, or an earlier run's, whose events this run's workers
#: take over from the shared broker.
RUN_COMMUNES = ("19330", "19339", "19342", "19345", "19348", "19351", "19354")


@dataclass
class Dossier:
    id: str
    version: int
    status: str
    applicant: flows.Actor
    #: Whether the officer has it (an officer's move takes it; taking it again changes nothing).
    handled: bool = False
    #: The events the successful operations on it caused, in order.
    events: list[str] = field(default_factory=list)

    def moves(self) -> list[str]:
        """The moves that change it from where it is."""
        return [m for m in MOVES.get(self.status, ()) if not (m == "assign" and self.handled)]


@dataclass
class Workload:
    """Drives ``ops`` operations through ``officer`` and a few applicants of its commune."""

    officer: flows.Actor
    applicants: list[tuple[flows.Actor, str]]  # (applicant, producer id)
    rng: random.Random
    dossiers: dict[str, Dossier] = field(default_factory=dict)
    ops: int = 0
    #: Operations answered other than 2xx (a fault run's own conflicts may add some).
    refused: list[tuple[str, int, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, call: flows.Transport, seed: int, applicants: int = 3) -> Workload:
        admin = flows.login(call, "admin@ocop.local")
        commune = f"pre2025:commune:{RUN_COMMUNES[seed % len(RUN_COMMUNES)]}"
        officer = flows.create_official(admin, ["commune_officer"], commune)
        people = []
        for _ in range(applicants):
            applicant = flows.register(call, "applicant")
            people.append((applicant, flows.create_producer(applicant, commune)["id"]))
        return cls(officer, people, random.Random(seed))

    def run(self, ops: int, between: Callable[[int], None] | None = None) -> None:
        """At least ``ops`` operations; ``between(n)`` is called after each (a fault's hook)."""
        target = self.ops + ops
        while self.ops < target:
            self.step()
            if between is not None:
                between(self.ops)

    def step(self) -> None:
        open_ = [d for d in self.dossiers.values() if d.status in MOVES]
        if len(open_) < 4 or self.rng.random() < 0.15:
            self.file()
            return
        dossier = self.rng.choice(open_)
        self.move(dossier, self.rng.choice(dossier.moves()))

    def file(self) -> Dossier:
        """A new draft with its document: two operations."""
        applicant, producer_id = self.rng.choice(self.applicants)
        body = flows.create_dossier(applicant, producer_id)
        self.ops += 1
        dossier = Dossier(body["id"], body["version"], body["status"], applicant)
        self.dossiers[dossier.id] = dossier
        reply = flows.upload(applicant, dossier.id, "business_registration")
        self.ops += 1
        assert reply.status == 201, reply.body
        dossier.events.append(EVENT_OF["upload"])
        dossier.version = self._version(dossier)
        return dossier

    def move(self, dossier: Dossier, move: str, actor: flows.Actor | None = None) -> flows.Reply:
        if actor is None:
            actor = self.officer if move in OFFICER_MOVES else dossier.applicant
        body: dict[str, Any] = {"missing_items": MISSING} if move == "return" else {}
        reply = flows.act(actor, {"id": dossier.id, "version": dossier.version}, move, **body)
        self.ops += 1
        self.settle(dossier, move, reply)
        return reply

    def settle(self, dossier: Dossier, move: str, reply: flows.Reply) -> None:
        """Record what a reply to ``move`` means for the model."""
        if 200 <= reply.status < 300:
            dossier.version, dossier.status = reply.body["version"], reply.body["status"]
            dossier.events.append(EVENT_OF[move])
            dossier.handled |= move in OFFICER_MOVES
        else:
            self.refused.append((move, reply.status, reply.body))

    def _version(self, dossier: Dossier) -> int:
        reply = dossier.applicant("GET", f"/api/v1/dossiers/{dossier.id}")
        assert reply.status == 200, reply.body
        return reply.body["version"]

    def expected_events(self) -> dict[str, list[str]]:
        return {d.id: list(d.events) for d in self.dossiers.values()}
