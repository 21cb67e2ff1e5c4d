"""Seed dossiers in bulk (SQLAlchemy Core on the product's tables) and explain the list query.

Distribution: producers spread over the communes of Quảng Trị (province 45, four-level tree),
one owner account each; the demo officer's commune gets ~1/100 of the dossiers; statuses as a
running programme has them, with the people on each case as its events would have left them
(ADR 0009): a dossier waiting at intake is in its commune's queue; in the demo officer's
commune, the officer handles every dossier past the queue. Ids are UUIDv7 of creation times
spread over the past three years, so seeded dossiers are older than the ones the load phase
filed.
"""

from __future__ import annotations

import dataclasses
import random
import re
import statistics
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from sqlalchemy import Engine, event, insert, select
from sqlalchemy.orm import Session

from services.registration.domain.product_code import format_product_code
from services.registration.models import (
    Account,
    AdminUnit,
    Dossier,
    Producer,
    participant_tables,
)
from services.registration.service import accounts as account_service
from services.registration.service import dossiers as dossier_service
from shared import participants
from shared.auth import principal_from_claims
from shared.db import is_sqlite
from tests.support.flows import DEMO_PASSWORD, complete_answers

PROVINCE = "45"
OFFICER_COMMUNE = "19333"  # pre2025:commune:19333, the demo commune officer's
STATUSES = {  # share of each status among seeded dossiers
    "draft": 0.12,
    "submitted": 0.15,
    "returned": 0.06,
    "resubmitted": 0.04,
    "accepted": 0.55,
    "withdrawn": 0.08,
}
VERSIONS = {
    "draft": 1,
    "submitted": 2,
    "returned": 3,
    "resubmitted": 4,
    "accepted": 3,
    "withdrawn": 3,
}
DOSSIERS_PER_PRODUCER = 30
CHUNK = 5000


def uuid7_at(ms: int, rng: random.Random) -> uuid.UUID:
    """A UUIDv7 for the given Unix milliseconds (layout as ``shared.ids.new_id``)."""
    rand = rng.getrandbits(74)
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | (rand >> 62) << 64 | 0b10 << 62
    return uuid.UUID(int=value | (rand & ((1 << 62) - 1)))


@dataclass(frozen=True)
class SeedSummary:
    dossiers: int
    producers: int
    officer_commune: int
    seconds: float
    sample_applicant: str  # email of a seeded applicant (password DEMO_PASSWORD)
    sample_applicant_dossiers: int


def _commune_rows(session: Session) -> list[AdminUnit]:
    return list(
        session.execute(
            select(AdminUnit)
            .where(
                AdminUnit.tree == "pre2025",
                AdminUnit.level == "commune",
                AdminUnit.province_code == PROVINCE,
            )
            .order_by(AdminUnit.code)
        ).scalars()
    )


def seed(engine: Engine, total: int, *, rng_seed: int = 45) -> SeedSummary:
    rng = random.Random(rng_seed)
    started = time.perf_counter()
    with Session(engine) as session:
        communes = _commune_rows(session)
        handler = session.execute(
            select(Account.id).where(Account.unit == f"pre2025:commune:{OFFICER_COMMUNE}")
        ).scalar()  # the demo commune officer (seeded before), if any
    officer = next(c for c in communes if c.code == OFFICER_COMMUNE)
    others = [c for c in communes if c.code != OFFICER_COMMUNE]
    n_producers = max(2, total // DOSSIERS_PER_PRODUCER)
    n_officer = max(1, n_producers // 100)
    now = datetime.now(UTC)
    password_hash = account_service.hash_password(DEMO_PASSWORD)  # seeded applicants log in
    accounts: list[dict[str, Any]] = []
    producers: list[dict[str, Any]] = []
    for i in range(n_producers):
        unit = officer if i < n_officer else rng.choice(others)
        account_id, producer_id = uuid.uuid4(), uuid.uuid4()
        accounts.append(
            {
                "id": account_id,
                "email": f"bench-{i:06d}@example.vn",
                "password_hash": password_hash,
                "display_name": f"HTX bench {i}",
                "language": "vi",
                "roles": ["applicant"],
                "unit": None,
                "councils": [],
                "active": True,
                "created_at": now,
            }
        )
        producers.append(
            {
                "id": producer_id,
                "owner_account_id": account_id,
                "name": f"HTX bench {i}",
                "entity_type": "cooperative",
                "representative": {"name": "Nguyễn Văn A", "position": "Giám đốc"},
                "unit_tree": unit.tree,
                "province_code": unit.province_code,
                "district_code": unit.district_code,
                "commune_code": unit.code,
                "address": f"{unit.name}, Quảng Trị",
                "phone": "0912 000 000",
                "email": f"bench-{i:06d}@example.vn",
                "business_registration_no": None,
                "created_at": now,
            }
        )
    # ~1/100 of the dossiers in the officer's commune, the rest over the other producers.
    n_officer_dossiers = total // 100
    owner = [producers[rng.randrange(n_officer)] for _ in range(n_officer_dossiers)]
    owner += [producers[rng.randrange(n_officer, n_producers)] for _ in range(total - len(owner))]
    span_ms = 3 * 365 * 86_400_000
    now_ms = int(now.timestamp() * 1000) - 3_600_000  # all older than the load phase's
    times = sorted(now_ms - rng.randrange(span_ms) for _ in range(total))
    rng.shuffle(owner)
    status_names, weights = list(STATUSES), list(STATUSES.values())
    answers = {f"{n:02d}": complete_answers(f"{n:02d}") for n in range(1, 27)}
    serials: dict[tuple[str, int], int] = {}

    def row(ms: int, producer: dict[str, Any]) -> dict[str, Any]:
        status = rng.choices(status_names, weights)[0]
        set_code = f"{rng.randint(1, 26):02d}"
        created = datetime.fromtimestamp(ms / 1000, UTC)
        submitted = None if status == "draft" else created + timedelta(days=rng.randint(1, 20))
        accepted = code = None
        if status == "accepted":
            assert submitted is not None
            accepted = submitted + timedelta(days=rng.randint(1, 15))
            key = (producer["commune_code"], accepted.year)
            serials[key] = serials.get(key, 0) + 1
            code = format_product_code(
                province_code=PROVINCE, commune_code=key[0], serial=serials[key], year=key[1]
            )
        queued = status in ("submitted", "resubmitted")
        handled = status != "draft" and not queued and producer["commune_code"] == OFFICER_COMMUNE
        return {
            "id": uuid7_at(ms, rng),
            "handler_account_id": handler if handled else None,
            "version": VERSIONS[status],
            "status": status,
            "producer_id": producer["id"],
            "created_by": producer["owner_account_id"],
            "registration_type": "first",
            "product_name": f"Sản phẩm {set_code}-{ms % 100000}",
            "product_set_code": set_code,
            "rubric_version": dossier_service.RUBRIC_VERSION,
            "regime": "four-level",
            "unit_tree": producer["unit_tree"],
            "province_code": producer["province_code"],
            "district_code": producer["district_code"],
            "commune_code": producer["commune_code"],
            "form01": {
                "unit_name": producer["name"],
                "entity_type": "cooperative",
                "representative": producer["representative"],
                "address": producer["address"],
                "phone": producer["phone"],
                "email": producer["email"],
                "business_registration_no": None,
                "commitment": True,
            },
            "self_assessment": answers[set_code],
            "samples_count": 5,
            "product_code": code,
            "missing_items": [],
            "public_status": None,
            "created_at": created,
            "updated_at": accepted or submitted or created,
            "submitted_at": submitted,
            "accepted_at": accepted,
        }

    with engine.begin() as conn:
        conn.execute(insert(Account), accounts)
        conn.execute(insert(Producer), producers)
    for start in range(0, total, CHUNK):
        batch = [
            row(ms, p)
            for ms, p in zip(
                times[start : start + CHUNK], owner[start : start + CHUNK], strict=True
            )
        ]
        with engine.begin() as conn:
            conn.execute(insert(Dossier.__table__), batch)
            people = [the_people(d) for d in batch if d["status"] != "draft"]
            conn.execute(insert(participant_tables.participants), [p for p in people if p])
    if not is_sqlite(engine):
        # A bulk load is followed by autovacuum's ANALYZE; do it now rather than by chance.
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
    sample = producers[0]  # an applicant of the officer's commune
    return SeedSummary(
        dossiers=total,
        producers=n_producers,
        officer_commune=n_officer_dossiers,
        seconds=time.perf_counter() - started,
        sample_applicant=accounts[0]["email"],
        sample_applicant_dossiers=sum(1 for p in owner if p is sample),
    )


def the_people(dossier: dict[str, Any]) -> dict[str, Any] | None:
    """The official a seeded dossier's events would have put on it: its handler, else (waiting
    at intake) its commune's queue."""
    at = dossier["updated_at"]
    common = {
        "dossier_id": dossier["id"],
        "level": "commune",
        "present": True,
        "as_of": at,
        "account_id": None,
        "office_role": None,
        "office_unit": None,
        "council_id": None,
    }
    current = dossier["status"] in ("submitted", "returned", "resubmitted")
    if dossier["handler_account_id"] is not None:
        party = participants.Party(
            participants.Kind.HANDLER, "commune", account_id=str(dossier["handler_account_id"])
        )
        return {
            **common,
            "party": party.key,
            "kind": party.kind.value,
            "account_id": dossier["handler_account_id"],
            "current": current,
        }
    if not current or dossier["status"] == "returned":
        return None
    unit = f"{dossier['unit_tree']}:commune:{dossier['commune_code']}"
    party = participants.Party(participants.Kind.QUEUE, "commune", office_unit=unit)
    return {
        **common,
        "party": party.key,
        "kind": party.kind.value,
        "office_role": party.office_role,
        "office_unit": unit,
        "current": True,
    }


@dataclass(frozen=True)
class Plan:
    """The shape of a plan for the dossiers table.

    searches: indexes searched with a condition (cost follows the matching rows);
    walks: indexes read in order with no condition, rows filtered until LIMIT is met (cost
    follows limit ÷ selectivity: fine for a wide reach, poor for a narrow one);
    full_scans: the table read whole; sorts: an explicit sort of every matching row.
    """

    lines: list[str]
    searches: list[str]
    walks: list[str]
    full_scans: int
    sorts: bool
    removed_by_filter: int | None = None  # rows read and dropped (PostgreSQL EXPLAIN ANALYZE)
    db_ms: float = 0.0  # median time of the statement alone, fetching its rows

    @property
    def index_backed(self) -> bool:
        return not self.full_scans and bool(self.searches or self.walks)

    def verdict(self) -> str:
        parts = [f"search {', '.join(self.searches)}"] if self.searches else []
        parts += [f"ordered walk of {w} + filter" for w in self.walks]
        parts += ["FULL TABLE SCAN"] * bool(self.full_scans)
        parts += ["sorts all matches"] * self.sorts
        if self.removed_by_filter is not None:
            parts.append(f"{self.removed_by_filter} rows removed by filter")
        return f"db {self.db_ms:.1f} ms: " + "; ".join(parts)


def explain_list(engine: Engine, token: str, filters: dict[str, Any]) -> Plan:
    """EXPLAIN the exact statement ``dossier_service.list_`` runs for the token's principal
    (EXPLAIN QUERY PLAN on SQLite; EXPLAIN ANALYZE on PostgreSQL, for the rows it really read)."""
    principal = principal_from_claims(jwt.decode(token, options={"verify_signature": False}))
    captured: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "FROM dossiers" in statement:
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        with Session(engine) as session:
            dossier_service.list_(
                session=session,
                principal=principal,
                filters=dossier_service.Filters(**filters),
                limit=50,
            )
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, params = captured[-1]
    sqlite = is_sqlite(engine)
    prefix = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (ANALYZE, COSTS OFF) "
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, params).fetchall()
        timings = []
        for _ in range(21):
            t0 = time.perf_counter()
            conn.exec_driver_sql(statement, params).fetchall()
            timings.append(time.perf_counter() - t0)
    plan = (
        _sqlite_plan([str(r[-1]) for r in rows]) if sqlite else _pg_plan([str(r[0]) for r in rows])
    )
    return dataclasses.replace(plan, db_ms=statistics.median(timings) * 1000)


_SQLITE = re.compile(r"^(SEARCH|SCAN) dossiers(?: USING (?:COVERING )?INDEX (\S+))?")
_PG_NODE = re.compile(
    r"(Seq Scan|Index Scan(?: Backward)?|Index Only Scan(?: Backward)?|Bitmap Index Scan)"
    r"(?: using)? (?:on )?(\S+)(?: on (\S+))?"
)


def _sqlite_plan(lines: list[str]) -> Plan:
    searches: list[str] = []
    walks: list[str] = []
    full = 0
    for line in lines:
        m = _SQLITE.match(line)
        if m and m[1] == "SEARCH":
            searches.append(m[2] or "rowid")
        elif m and m[2]:
            walks.append(m[2])
        elif m:
            full += 1
    sorts = any("TEMP B-TREE FOR ORDER BY" in line for line in lines)
    return Plan(lines, searches, walks, full, sorts)


def _pg_plan(lines: list[str]) -> Plan:
    searches: list[str] = []
    walks: list[str] = []
    full = removed = 0
    for i, line in enumerate(lines):
        if "Rows Removed by Filter" in line:
            removed += int(line.rsplit(":", 1)[1])
        m = _PG_NODE.search(line)
        if not m:
            continue
        kind, name, table = m[1], m[2], m[3]
        if kind == "Seq Scan":
            full += name == "dossiers"
            continue
        on_dossiers = table == "dossiers" or (
            kind == "Bitmap Index Scan" and name.startswith(("ix_dossiers", "dossiers"))
        )
        if not on_dossiers:
            continue
        # The node's own detail lines sit below it, up to the next node ("->").
        detail = []
        for nxt in lines[i + 1 :]:
            if "->" in nxt:
                break
            detail.append(nxt.strip())
        (searches if any(d.startswith("Index Cond") for d in detail) else walks).append(name)
    sorts = any(line.lstrip(" ->").startswith(("Sort ", "Incremental Sort")) for line in lines)
    return Plan(lines, searches, walks, full, sorts, removed)
