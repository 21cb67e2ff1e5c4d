"""Counting a fault run's effects, Jepsen-style: what the workload's successful operations must
have caused, against what the processes committed, filed in the case-file ledger and mailed.

Three kinds of effect (docs/quality.md, "Faults"): a committed state change (registration's
dossier row and the outbox row its change wrote in the same transaction), a ledger entry, an
email in the SMTP sink. Each is *lost* when expected and absent, *duplicated* when there more
than once, *unexpected* when nothing the run did calls for it (a rolled-back change's event, an
email no delivery row stands for, a dossier in another state than its operations left it).
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from services.audit import reconcile_urls
from services.notification.sink import MailStore
from services.registration.ledger.writer import CASE_FILE_READ
from tests.reliability.workload import Workload
from tests.support.observe import rows, wait_until

#: ``event_id → (type, dossier id)`` of outbox rows.
Events = dict[uuid.UUID, tuple[str, str]]

#: The events whose email goes to the dossier's applicant (notification's recipient rules).
APPLICANT_TOLD = frozenset(
    {
        "dossier.submitted",
        "dossier.returned",
        "dossier.resubmitted",
        "dossier.accepted",
        "dossier.withdrawn",
    }
)
#: Delivery states that are final: sent, or given up on for good.
FINAL = frozenset({"sent", "failed_permanent"})


@dataclass
class Tally:
    lost: list[str] = field(default_factory=list)
    duplicated: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    effects: int = 0

    def line(self, fault: int, ops: int) -> str:
        return (
            f"fault {fault}: lost={len(self.lost)} duplicated={len(self.duplicated)} "
            f"unexpected={len(self.unexpected)} (ops={ops}, effects={self.effects})"
        )

    def details(self) -> str:
        parts = [
            ("lost", self.lost),
            ("duplicated", self.duplicated),
            ("unexpected", self.unexpected),
        ]
        return "\n".join(f"{name}: {what}" for name, what in parts if what)[:4000]


@dataclass(frozen=True)
class Scope:
    """What a tally reads: the stack's databases and the SMTP sink's directory."""

    databases: Mapping[str, str]
    mail_dir: Path

    def count(
        self,
        workload: Workload,
        *,
        rolled_back: Collection[uuid.UUID] = (),
        may_fail: Collection[str] = (),
        may_repeat: Mapping[str, int] | None = None,
    ) -> Tally:
        """The run's effects now. ``rolled_back``: ids of events a rolled-back change made
        (none may surface); ``may_fail``: addresses whose mail is refused for good (their
        deliveries end failed, not sent); ``may_repeat``: how many ambiguous SMTP drops hit each
        address; each may leave one extra copy of a message, under the same Message-ID (two
        drops can hit the same message: its first try and its retry)."""
        tally = Tally()
        mine = {uuid.UUID(d) for d in workload.dossiers}
        outbox = self._state(tally, workload, mine)
        committed, entries = self._ledger(tally, outbox, mine)
        deliveries = self._emails(tally, workload, outbox, mine, may_fail, may_repeat or {})
        told = {row[0] for row in deliveries}
        for event_id in rolled_back:
            if event_id in committed or entries[event_id] or event_id in told:
                tally.unexpected.append(f"rolled-back event {event_id} surfaced")
        return tally

    def _state(self, tally: Tally, workload: Workload, mine: set[uuid.UUID]) -> Events:
        """Each dossier as its operations left it, with the events they caused: the outbox
        rows are the committed changes' own record."""
        from services.registration import models as reg

        d = reg.Dossier.__table__.c
        found = {
            str(i): (status, version)
            for i, status, version in rows(
                self.databases["registration"],
                select(d.id, d.status, d.version).where(d.id.in_(mine)),
            )
        }
        for dossier in workload.dossiers.values():
            if dossier.id not in found:
                tally.lost.append(f"dossier {dossier.id}")
            elif found[dossier.id] != (dossier.status, dossier.version):
                tally.unexpected.append(f"dossier {dossier.id} is {found[dossier.id]}")
        tally.effects += len(found)
        outbox = _events(self.databases["registration"], reg.outbox, mine)
        by_dossier: dict[str, Counter[str]] = {}
        for kind, dossier_id in outbox.values():
            by_dossier.setdefault(dossier_id, Counter())[kind] += 1
        for dossier_id, kinds in workload.expected_events().items():
            got = by_dossier.get(dossier_id, Counter())
            for kind in set(kinds) | set(got):
                want, have = kinds.count(kind), got[kind]
                tally.lost += [f"{kind} of {dossier_id}"] * max(0, want - have)
                tally.duplicated += [f"{kind} of {dossier_id}"] * max(0, have - want)
        tally.effects += len(outbox)
        return outbox

    def _ledger(
        self, tally: Tally, outbox: Events, mine: set[uuid.UUID]
    ) -> tuple[Events, Counter[uuid.UUID]]:
        """One entry per event any service committed about these dossiers."""
        from services.notification import models as nt
        from services.registration import models as reg

        committed = {**outbox, **_events(self.databases["notification"], nt.outbox, mine)}
        e = reg.LedgerEntry.__table__.c
        # A full-view reader's entries record reads, not events: no run's effect.
        entries = Counter(
            event_id
            for (event_id,) in rows(
                self.databases["registration"],
                select(e.event_id).where(e.dossier_id.in_(mine), e.kind != CASE_FILE_READ),
            )
        )
        for event_id, (kind, dossier_id) in committed.items():
            if entries[event_id] == 0:
                tally.lost.append(f"ledger entry of {kind} {event_id} ({dossier_id})")
        for event_id, n in entries.items():
            if event_id not in committed:
                tally.unexpected.append(f"ledger entry of unknown event {event_id}")
            elif n > 1:
                tally.duplicated.append(f"ledger entry of {event_id} x{n}")
        tally.effects += sum(entries.values())
        return committed, entries

    def _emails(
        self,
        tally: Tally,
        workload: Workload,
        outbox: Events,
        mine: set[uuid.UUID],
        may_fail: Collection[str],
        may_repeat: Mapping[str, int],
    ) -> list[Any]:
        """The applicant's delivery of each event that tells them; each delivery's message in
        the sink once (none for a recipient refused for good); no mail beside them."""
        from services.notification import models as nt

        v = nt.Delivery.__table__.c
        deliveries = rows(
            self.databases["notification"],
            select(v.event_id, v.account_id, v.email, v.message_id, v.status).where(
                v.dossier_id.in_(mine)
            ),
        )
        told = Counter((event_id, str(account)) for event_id, account, *_ in deliveries)
        for event_id, (kind, dossier_id) in outbox.items():
            applicant = str(workload.dossiers[dossier_id].applicant.account["id"])
            if kind in APPLICANT_TOLD and told[(event_id, applicant)] == 0:
                tally.lost.append(f"delivery of {kind} {event_id} to the applicant")
        tally.duplicated += [f"delivery {key} x{n}" for key, n in told.items() if n > 1]
        # The sink's listing says who each message went to and its Message-ID: enough here,
        # and far cheaper than parsing every message (a stack may mail thousands).
        mails = MailStore(self.mail_dir).list()
        sent = Counter(_mid(m.message_id) for m in mails)
        known = {_mid(mid) for *_, mid, _ in deliveries}
        for _, _, address, mid, status in deliveries:
            n = sent[_mid(mid)]
            if address in may_fail:
                if status != "failed_permanent" or n:
                    tally.unexpected.append(f"{mid} to {address}: {status}, mailed x{n}")
            elif status != "sent" or n == 0:
                tally.lost.append(f"email {mid} to {address} ({status})")
            elif n > 1 + may_repeat.get(address, 0):
                tally.duplicated.append(f"email {mid} to {address} x{n}")
        # Mail that no delivery of these dossiers stands for but that went to the run's own
        # people (its applicants and officer, in a commune of the run's own). Others (the
        # district's and province's officials) may also be mailed about other suites' dossiers
        # whose events this stack's workers take over from the shared broker: not this run's.
        own = {workload.officer.account["email"]} | {
            applicant.account["email"] for applicant, _ in workload.applicants
        }
        addresses = {address for _, _, address, _, _ in deliveries} & own
        for m in mails:
            if _mid(m.message_id) not in known and set(m.rcpt_tos) & addresses:
                tally.unexpected.append(f"email {m.message_id} {m.subject!r}")
        tally.effects += sum(n for mid, n in sent.items() if mid in known)
        return deliveries

    def settle(self, workload: Workload, timeout: float = 120, **kw: object) -> Tally:
        """The tally once nothing is missing (or ``timeout`` passed) and nothing more came for a
        few seconds: a duplicate would come late. A run settles in seconds; the bound is for a
        machine loaded by the other run mode beside it (.ci/run)."""
        wait_until(lambda: not self.count(workload, **kw).lost, timeout, every=1.0)  # type: ignore[arg-type]
        before = self.count(workload, **kw)  # type: ignore[arg-type]
        wait_until(lambda: False, 4)
        after = self.count(workload, **kw)  # type: ignore[arg-type]
        return after if after.effects != before.effects else before

    def reconciled(self, workload: Workload, timeout: float = 60) -> str:
        """What ``ocop audit reconcile`` says of the run's dossiers once it settles: "" when it
        finds nothing."""
        cases = {uuid.UUID(d) for d in workload.dossiers}
        urls = dict(self.databases)
        if wait_until(lambda: reconcile_urls(urls, cases).clean, timeout, every=1.0):
            return ""
        return reconcile_urls(urls, cases).text()


def report(fault: int, workload: Workload, tally: Tally, reconciliation: str = "") -> None:
    """Print the run's line and hold it to zero."""
    print("\n" + tally.line(fault, workload.ops))
    assert (tally.lost, tally.duplicated, tally.unexpected) == ([], [], []), tally.details()
    assert reconciliation == "", reconciliation


def _events(url: str, outbox: Any, dossiers: set[uuid.UUID]) -> Events:
    """``event_id → (type, dossier id)`` of the outbox rows about ``dossiers``."""
    o = outbox.c
    wanted = {str(d) for d in dossiers}
    found = {}
    for event_id, kind, envelope in rows(url, select(o.event_id, o.type, o.envelope)):
        dossier_id = envelope.get("dossier_id") or (envelope.get("payload") or {}).get("dossier_id")
        if dossier_id in wanted:
            found[event_id] = (kind, dossier_id)
    return found


def _mid(value: object) -> str:
    return str(value or "").strip().strip("<>")
