"""The people on a case (ADR 0009): the rules as data, then the read model they keep on a real
(SQLite) database and the reach it answers, event by event through a case's life."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, Table, Uuid, select
from sqlalchemy.schema import Column

from shared import participants
from shared.auth import Principal, UnitRef
from shared.db import Database
from shared.participants import Join, Kind, Leave, Settle

CASE = uuid.uuid4()
COUNCIL = uuid.uuid4()
HANDLER, PEER, MEMBER, CONFLICTED = (str(uuid.uuid4()) for _ in range(4))
START = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)

FACTS = {
    "unit_tree": "pre2025",
    "province_code": "45",
    "district_code": "461",
    "commune_code": "19333",
}


def official(account: str, role: str, unit: str | None = None) -> Principal:
    return Principal(
        account_id=account,
        roles=frozenset({role}),
        unit=UnitRef.parse(unit) if unit else None,
    )


QUEUE_OFFICER = official(PEER, "commune_officer", "pre2025:commune:19333")
HANDLING = official(HANDLER, "commune_officer", "pre2025:commune:19333")
OTHER_COMMUNE = official(str(uuid.uuid4()), "commune_officer", "pre2025:commune:19336")
DISTRICT = official(str(uuid.uuid4()), "secretariat", "pre2025:district:461")
PROVINCE = official(str(uuid.uuid4()), "secretariat", "pre2025:province:45")
AUTHORITY = official(str(uuid.uuid4()), "decision_authority", "pre2025:district:461")
SEATED = official(MEMBER, "council_member")
WITH_CONFLICT = official(CONFLICTED, "council_member")


# --- the rules, pure -------------------------------------------------------------------------


def test_a_submission_nobody_handles_goes_to_the_communes_queue() -> None:
    [change] = participants.changes("dossier.submitted", FACTS)
    assert change == Join(
        participants.Party(Kind.QUEUE, "commune", office_unit="pre2025:commune:19333")
    )
    assert change.party.office_role == "commune_officer"


def test_a_dossier_event_naming_its_handler_takes_it_from_the_queue() -> None:
    found = participants.changes("dossier.accepted", {**FACTS, "handler_account_id": HANDLER})
    handler = participants.Party(Kind.HANDLER, "commune", account_id=HANDLER)
    assert found == [Leave(Kind.QUEUE), Leave(Kind.HANDLER, keep=handler.key), Join(handler)]


def test_a_forward_leaves_everyone_reading_and_the_next_secretariat_acting() -> None:
    found = participants.changes("evaluation.forwarded", {**FACTS, "to_level": "province"})
    assert found[0] == Settle()
    assert found[1] == Join(
        participants.Party(Kind.SECRETARIAT, "province", office_unit="pre2025:province:45")
    )
    national = participants.changes("evaluation.forwarded", {**FACTS, "to_level": "national"})
    assert national[1].party.office_unit == "national"  # type: ignore[union-attr]
    # The two-tier regime's former name of the level, in an old event (shared.levels).
    central = participants.changes("evaluation.forwarded", {**FACTS, "to_level": "central"})
    assert central[1].party.office_unit == "national"  # type: ignore[union-attr]


def test_a_hand_back_with_a_rank_puts_the_lower_authority_on_the_case() -> None:
    """The province's 4★ handed back from the national council waits for the province chair,
    who must reach the case to decide (no awaiting_decision event follows a hand-back)."""
    back = {**FACTS, "level": "national", "to_level": "province"}
    province = "pre2025:province:45"
    found = participants.changes("evaluation.handed_back", {**back, "star_rank": 4})
    assert found == [
        Settle(),
        Join(participants.Party(Kind.SECRETARIAT, "province", office_unit=province)),
        Join(participants.Party(Kind.AUTHORITY, "province", office_unit=province)),
    ]
    assert participants.changes("evaluation.handed_back", {**back, "star_rank": None}) == [
        Settle(),
        Join(participants.Party(Kind.SECRETARIAT, "province", office_unit=province)),
    ]


def test_the_commune_review_opens_no_council_and_a_denied_conflict_excludes_nobody() -> None:
    assert participants.changes("evaluation.opened", {**FACTS, "level": "commune"}) == []
    denied = {"account_id": MEMBER, "conflicted": False}
    assert participants.changes("evaluation.conflict_declared", denied) == []
    assert participants.changes("dossier.document_added", FACTS) == []


# --- the read model on a database -------------------------------------------------------------


class World:
    """One case, its participants' tables and council seats on a SQLite file."""

    def __init__(self, db: Database, tables: participants.Tables, cases: Table) -> None:
        self.db, self.tables, self.cases = db, tables, cases
        self.clock = START

    def happen(self, event_type: str, at: datetime | None = None, **payload: Any) -> None:
        if at is None:
            self.clock += timedelta(minutes=1)
        with self.db.unit_of_work() as uow:
            participants.apply(
                uow.session,
                self.tables,
                dossier_id=CASE,
                event_type=event_type,
                payload={**FACTS, **payload},
                occurred_at=at or self.clock,
            )
            uow.commit()

    def seat(self, account: str) -> None:
        with self.db.unit_of_work() as uow:
            participants.record_seat(
                uow.session,
                self.tables,
                {"council_id": str(COUNCIL), "account_id": account, "role": "member"},
                seated=True,
            )
            uow.commit()

    def reaches(self, principal: Principal, **options: Any) -> bool:
        column = self.cases.c.dossier_id
        condition = participants.reach(
            self.tables, principal, column, seats=self.tables.seated(principal), **options
        )
        with self.db.reader() as session:
            found = session.execute(select(column).where(column == CASE, condition)).first()
        return found is not None

    def standing(self, principal: Principal) -> participants.Standing:
        with self.db.reader() as session:
            return participants.standing(
                session, self.tables, principal, CASE, seats=self.tables.seated(principal)
            )


@pytest.fixture()
def world(tmp_path: Path) -> World:
    metadata = MetaData()
    tables = participants.define_tables(metadata, seats=True)
    cases = Table("cases", metadata, Column("dossier_id", Uuid, primary_key=True))
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    metadata.create_all(db.engine)
    with db.unit_of_work() as uow:
        uow.session.execute(cases.insert().values(dossier_id=CASE))
        uow.commit()
    return World(db, tables, cases)


def test_the_queue_then_the_handler_alone(world: World) -> None:
    assert not world.reaches(QUEUE_OFFICER)  # a draft: nobody but the producer's side
    world.happen("dossier.submitted")
    assert world.reaches(QUEUE_OFFICER) and world.reaches(HANDLING)
    assert not world.reaches(OTHER_COMMUNE) and not world.reaches(DISTRICT)
    world.happen("dossier.accepted", handler_account_id=HANDLER)
    assert world.reaches(HANDLING) and not world.reaches(QUEUE_OFFICER)
    assert world.standing(HANDLING).holds(Kind.HANDLER, acting=True)
    world.happen("dossier.assigned", handler_account_id=PEER)
    assert world.reaches(QUEUE_OFFICER) and not world.reaches(HANDLING)


def test_a_case_climbs_and_each_level_reads_on(world: World) -> None:
    world.happen("dossier.submitted")
    world.happen("dossier.accepted", handler_account_id=HANDLER)
    world.happen("evaluation.forwarded", level="commune", to_level="district")
    assert world.reaches(DISTRICT, current=True) and not world.reaches(PROVINCE)
    assert not world.standing(HANDLING).holds(Kind.HANDLER, acting=True)
    assert world.reaches(HANDLING)  # reads on
    world.seat(MEMBER)
    world.seat(CONFLICTED)
    world.happen("evaluation.opened", level="district", council_id=str(COUNCIL))
    assert world.reaches(SEATED, kinds=[Kind.COUNCIL], current=True)
    world.happen("evaluation.conflict_declared", account_id=CONFLICTED, conflicted=True)
    assert not world.reaches(WITH_CONFLICT) and world.reaches(SEATED)
    assert world.standing(WITH_CONFLICT).excluded
    assert not world.reaches(AUTHORITY)
    world.happen("evaluation.awaiting_decision", level="district")
    assert world.reaches(AUTHORITY, current=True)
    assert world.reaches(SEATED) and not world.reaches(SEATED, current=True)
    world.happen("evaluation.forwarded", level="district", to_level="province")
    assert world.reaches(PROVINCE, current=True)
    assert world.reaches(DISTRICT) and not world.reaches(DISTRICT, current=True)


def test_an_older_event_delivered_late_changes_nothing(world: World) -> None:
    world.happen("dossier.submitted")
    world.happen("dossier.accepted", handler_account_id=HANDLER)
    # A redelivery of the submission, older than the acceptance, does not reopen the queue.
    world.happen("dossier.submitted", at=START)
    assert not world.reaches(QUEUE_OFFICER) and world.reaches(HANDLING)
    world.happen("evaluation.forwarded", level="commune", to_level="district")
    world.happen("dossier.accepted", at=START, handler_account_id=HANDLER)
    assert not world.standing(HANDLING).holds(Kind.HANDLER, acting=True)


def test_a_member_who_leaves_the_council_leaves_its_cases(world: World) -> None:
    world.seat(MEMBER)
    world.happen("evaluation.opened", level="district", council_id=str(COUNCIL))
    assert world.reaches(SEATED)
    with world.db.unit_of_work() as uow:
        participants.record_seat(
            uow.session,
            world.tables,
            {"council_id": str(COUNCIL), "account_id": MEMBER, "role": "member"},
            seated=False,
        )
        uow.commit()
    assert not world.reaches(SEATED)
