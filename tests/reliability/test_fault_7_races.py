"""Fault 7 of docs/quality.md: concurrent conflicting transitions on one dossier, 100 races.

Each race files a dossier and submits it, then sends three conflicting moves at once, from
threads of their own against registration's web processes (two gunicorn workers), all naming
the version they read: the officer accepts and returns it, the applicant withdraws it. Exactly
one wins; the others get 409; the dossier, its events, its ledger entries and its emails are
the winner's only.
"""

from __future__ import annotations

import threading

import pytest

from tests.e2e.stack import Stack
from tests.reliability.effects import Scope, report
from tests.reliability.workload import Dossier, Workload
from tests.support import flows

pytestmark = pytest.mark.e2e

RACES = 100
SEED = 7
CONTESTANTS = ("accept", "return", "withdraw")


def test_of_conflicting_transitions_exactly_one_wins_and_only_it_is_filed(
    stack: Stack, scope: Scope
) -> None:
    url = stack.urls["registration"]
    workload = Workload.start(flows.http_transport(url), SEED)
    losers: list[tuple[str, str, int, str]] = []  # (winner, loser, status, code)
    for _ in range(RACES):
        dossier = workload.file()
        assert workload.move(dossier, "submit").status == 200
        replies = race(workload, dossier, url)
        winners = [move for move, reply in replies.items() if reply.status == 200]
        assert len(winners) == 1, {m: (r.status, r.body) for m, r in replies.items()}
        for move, reply in replies.items():
            workload.ops += 1
            if reply.status == 200:
                workload.settle(dossier, move, reply)
            else:
                losers.append((winners[0], move, reply.status, reply.body.get("code")))
    assert len(losers) == (len(CONTESTANTS) - 1) * RACES
    assert {status for *_, status, _ in losers} == {409}, sorted(set(losers))

    tally = scope.settle(workload)
    report(7, workload, tally, scope.reconciled(workload))


def race(workload: Workload, dossier: Dossier, url: str) -> dict[str, flows.Reply]:
    """The contestants' moves, released together, each over its own connection."""
    start = threading.Barrier(len(CONTESTANTS))
    replies: dict[str, flows.Reply] = {}

    def contest(move: str) -> None:
        who = workload.officer if move != "withdraw" else dossier.applicant
        actor = flows.Actor(flows.http_transport(url), who.token, who.account)
        body = {"missing_items": [{"item": "test_report"}]} if move == "return" else {}
        read = {"id": dossier.id, "version": dossier.version}
        start.wait(10)
        replies[move] = flows.act(actor, read, move, **body)

    threads = [threading.Thread(target=contest, args=(m,)) for m in CONTESTANTS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return replies
