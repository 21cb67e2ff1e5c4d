"""B4 ledger benchmark: verification against a bare SHA-256 chain loop, the history endpoint
on a case of 10,000 entries, and append time as the ledger grows.

    .venv/bin/python -m bench.ledger.run [--entries 300000] [--cases 20000] \
        [--stages 10000,100000] [--history 10000] [--pg-url URL] [--skip verify,history] \
        [--one-pass] [--keep]

Seeds a fresh registration database (SQLite under a temporary data dir, or a fresh PostgreSQL
database with ``--pg-url``) through the product's migrations. Entries are generated with
shared.ledger's chain functions (both chains, heads written as the writer would) and
bulk-inserted in stages through the driver (executemany on SQLite, COPY on PostgreSQL); after
each stage 300 entries are appended through the product's writer, each in its own committed
unit of work, as the consumer does. Prints ratios beside absolute figures (bench/README.md).
"""

from __future__ import annotations

import argparse
import itertools
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from hashlib import sha256
from pathlib import Path
from typing import Any, ClassVar

from sqlalchemy import select

from shared.ledger.canonical import canonical
from shared.ledger.chain import GENESIS, case_link, global_link
from tests.support import ledger as synthetic

CHUNK = 5000
_SEEDS = itertools.count(1)
COMMIT = 100_000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=300_000, help="entries over all cases")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--stages", default="10000,100000", help="append curve points (entries)")
    parser.add_argument("--history", type=int, default=10_000, help="entries of the big case")
    parser.add_argument("--requests", type=int, default=200, help="history requests per view")
    parser.add_argument("--appends", type=int, default=300, help="appends timed per stage")
    parser.add_argument(
        "--sqlite-cache-mb",
        type=int,
        default=0,
        help="SQLite: also time the appends with this page cache per connection (the product "
        "keeps SQLite's default, 2 MB)",
    )
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"))
    parser.add_argument(
        "--skip", default="", help="parts to leave out, comma-separated: verify, history"
    )
    parser.add_argument(
        "--one-pass",
        action="store_true",
        help="also time the one-pass LedgerWalk (the verifier before the two-walk fix)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix="ocop-bench-ledger-"))
    pg_name = None
    try:
        url = f"sqlite:///{data / 'registration' / 'registration.sqlite'}"
        if args.pg_url:
            pg_name, url = _fresh_postgres(args.pg_url)
        os.environ.update(
            {
                "OCOP_DATA_DIR": str(data),
                "OCOP_REGISTRATION_DATABASE_URL": url,
                "OCOP_BROKER_URL": f"sqla+sqlite:///{data / 'broker.sqlite'}",
                "OCOP_LEDGER_CHECKPOINT_EVERY": "0",
                "OCOP_LOGIN_ATTEMPTS_PER_CLIENT_PER_MINUTE": "100000",
            }
        )
        return _run(args, url)
    finally:
        if pg_name:
            _drop_postgres(args.pg_url, pg_name)
        if args.keep:
            print(f"data kept in {data}")
        else:
            shutil.rmtree(data, ignore_errors=True)


def _run(args: argparse.Namespace, url: str) -> int:
    from services.registration.app import create_app
    from services.registration.commands.seed import ensure_reference_data, seed_demo
    from services.registration.runtime import Registration
    from shared.migrate import upgrade
    from tests.support import flows

    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    Path(url.split("///", 1)[-1]).parent.mkdir(parents=True, exist_ok=True)
    upgrade("registration", url)
    rt = Registration()
    ensure_reference_data(rt)
    seed_demo(rt)
    app = create_app(rt)
    call = flows.flask_transport(app.test_client())
    applicant = flows.login(call, "hoptacxa@ocop.local")
    auditor = flows.login(call, "thanhtra@ocop.local")
    producer = flows.create_producer(applicant)
    big = uuid.UUID(flows.create_dossier(applicant, producer["id"])["id"])
    cases = [uuid.uuid4() for _ in range(args.cases)]
    chain = Generator(seed=7)
    print(f"database: {rt.db.engine.dialect.name}; cases {args.cases}; big case {args.history}")

    t0 = time.perf_counter()
    _insert(rt, chain, chain.take([big], args.history))
    _checkpoint(rt)  # as the periodic task would: the big case's file needs a short bridge
    print(f"seeded the big case: {args.history} entries in {time.perf_counter() - t0:.1f}s")
    stages = sorted({int(s) for s in args.stages.split(",") if s} | {args.entries})
    print("\nappend (one committed unit of work each, as the consumer):")
    print(f"  {'entries':>10} {'p50 ms':>8} {'p95 ms':>8} {'per s':>8}")
    bigger = _bigger_cache(url, args.sqlite_cache_mb)
    for stage in stages:
        if stage > chain.seq:
            t0 = time.perf_counter()
            _insert(rt, chain, chain.take(cases, stage - chain.seq))
            seeded = time.perf_counter() - t0
        else:
            seeded = 0.0
        _settle(rt)
        for label, db in (("", rt.db), (f"  cache {args.sqlite_cache_mb} MB", bigger)):
            if db is None:
                continue
            times = _appends(db, cases, args.appends)
            _resync(rt, chain)
            print(
                f"  {chain.seq:>10} {_ms(statistics.median(times))} {_ms(_p95(times))} "
                f"{len(times) / sum(times):>8.0f}   (seeded in {seeded:.0f}s){label}",
                flush=True,
            )
    if bigger is not None:
        bigger.dispose()
    if "verify" not in skip:
        _verification(rt, big, one_pass=args.one_pass)
    if "history" not in skip:
        _history(call, applicant, auditor, big, args.requests)
    rt.close()
    return 0


class Generator:
    """Both chains as they grow (``shared.ledger.chain``'s links), with bodies shaped like
    ``tests.support.ledger.body`` (score-sheet events, ~1.1 KB of canonical JSON) but filled in
    from canonical templates: seeding millions of entries is then bound by the database, not by
    JSON encoding (~40 µs an entry before)."""

    SEQ, N = 7_770_000_000_001, 7_770_000_000_002
    FIELDS: ClassVar[dict[bytes, str]] = {
        b"7770000000001": "seq",
        b"7770000000002": "n",
        b'"@@dossier@@"': "dossier",
        b'"@@event@@"': "event",
        b'"@@occurred@@"': "occurred",
        b'"@@recorded@@"': "recorded",
    }
    # Event ids ordered like the product's UUIDv7s: the unique index grows at its end.
    EVENTS = 0x0190_0000_0000_7000_8000_0000_0000_0000

    def __init__(self, seed: int = 1, variants: int = 32) -> None:
        import random

        self.rnd = random.Random(seed)
        self.seq = 0
        self.head = GENESIS
        self.heads: dict[uuid.UUID, tuple[int, bytes]] = {}
        self.templates = [self._template(kind) for kind in synthetic.KINDS for _ in range(variants)]

    def _template(self, kind: str) -> tuple[str, list[bytes], list[str]]:
        import re

        data = synthetic.body(self.rnd, seq=1, n=1, dossier=uuid.UUID(int=1), kind=kind)
        data.update(
            seq=self.SEQ,
            n=self.N,
            dossier_id="@@dossier@@",
            event_id="@@event@@",
            occurred_at="@@occurred@@",
            recorded_at="@@recorded@@",
        )
        data["payload"]["dossier_id"] = "@@dossier@@"
        pattern = b"(" + b"|".join(re.escape(f) for f in self.FIELDS) + b")"
        parts = re.split(pattern, canonical(data))
        return kind, parts[0::2], [self.FIELDS[f] for f in parts[1::2]]

    def take(self, cases: list[uuid.UUID], count: int) -> Iterator[tuple[Any, ...]]:
        """``count`` more entries spread at random over ``cases``: (seq, dossier, n, event id,
        kind, body, case hash, global prev, global hash)."""
        rnd, templates, heads = self.rnd, self.templates, self.heads
        quoted = {d: f'"{d}"'.encode() for d in cases}
        for _ in range(count):
            self.seq += 1
            seq = self.seq
            dossier = rnd.choice(cases)
            n, previous = heads.get(dossier, (0, GENESIS))
            n += 1
            kind, literals, fields = rnd.choice(templates)
            event = uuid.UUID(int=self.EVENTS + seq)
            moment = synthetic.START + timedelta(seconds=seq)
            values = {
                "seq": str(seq).encode(),
                "n": str(n).encode(),
                "dossier": quoted[dossier],
                "event": f'"{event}"'.encode(),
                "occurred": f'"{moment.isoformat()}"'.encode(),
                "recorded": f'"{(moment + timedelta(seconds=1)).isoformat()}"'.encode(),
            }
            out = [literals[0]]
            for name, literal in zip(fields, literals[1:], strict=True):
                out += (values[name], literal)
            data = b"".join(out)
            case_hash = case_link(previous, data)
            global_hash = global_link(self.head, case_hash, dossier.bytes)
            yield (seq, dossier, n, event, kind, data, case_hash, self.head, global_hash)
            heads[dossier] = (n, case_hash)
            self.head = global_hash


COLUMNS = (
    "seq",
    "dossier_id",
    "n",
    "event_id",
    "kind",
    "occurred_at",
    "actor_id",
    "body",
    "case_hash",
    "global_prev",
    "global_hash",
)


def _insert(rt: Any, chain: Generator, rows: Iterable[tuple[Any, ...]]) -> None:
    """Bulk-insert generated rows through the driver, and bring the heads up to date (what
    appends would leave). Values are converted by the columns' own SQLAlchemy bind processors,
    so they are stored exactly as the product stores them."""
    from services.registration.models import LedgerEntry

    engine = rt.db.engine
    dialect = engine.dialect
    table = LedgerEntry.__table__

    def processor(name: str) -> Callable[[Any], Any]:
        found = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        return found or (lambda value: value)

    as_uuid, as_time = processor("dossier_id"), processor("occurred_at")
    now = as_time(datetime.now(UTC))
    dossiers: dict[uuid.UUID, Any] = {}
    sqlite = dialect.name == "sqlite"

    def stored() -> Iterator[tuple[Any, ...]]:
        for seq, dossier, n, event, kind, data, case_hash, prev, global_hash in rows:
            key = dossiers.get(dossier)
            if key is None:
                key = dossiers[dossier] = as_uuid(dossier)
            yield (seq, key, n, as_uuid(event), kind, now, None, data, case_hash, prev, global_hash)

    source = stored()
    # One transaction per COMMIT rows: a single one would hold a whole stage (gigabytes) in
    # SQLite's write-ahead log until its commit.
    while group := list(itertools.islice(source, COMMIT)):
        with engine.begin() as connection:
            cursor = connection.connection.driver_connection.cursor()
            if sqlite:  # room for the indexes while seeding; restored for the appends measured
                cache = cursor.execute("PRAGMA cache_size").fetchone()[0]
                cursor.execute("PRAGMA cache_size=-1000000")
            for start in range(0, len(group), CHUNK):
                _write_rows(cursor, group[start : start + CHUNK], sqlite=sqlite)
            if sqlite:
                cursor.execute(f"PRAGMA cache_size={cache}")
    _write_heads(engine, chain)


def _write_rows(cursor: Any, batch: list[tuple[Any, ...]], *, sqlite: bool) -> None:
    """One batch of stored rows: executemany on SQLite, COPY on PostgreSQL (its fastest path)."""
    columns = ", ".join(COLUMNS)
    if sqlite:
        marks = ", ".join("?" * len(COLUMNS))
        cursor.executemany(f"INSERT INTO ledger_entries ({columns}) VALUES ({marks})", batch)
    else:
        with cursor.copy(f"COPY ledger_entries ({columns}) FROM STDIN") as copy:
            for row in batch:
                copy.write_row(row)


def _write_heads(engine: Any, chain: Generator) -> None:
    """Every chain's head as the generator left it, in one transaction."""
    from services.registration.ledger.writer import GLOBAL

    heads = [(GLOBAL, chain.seq, chain.head)]
    heads += [(str(d), n, h) for d, (n, h) in chain.heads.items()]
    upsert = (
        "INSERT INTO ledger_heads (chain, length, head) VALUES ({0}, {0}, {0}) "
        "ON CONFLICT (chain) DO UPDATE SET length = excluded.length, head = excluded.head"
    ).format("?" if engine.dialect.name == "sqlite" else "%s")
    with engine.begin() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for start in range(0, len(heads), CHUNK):
            cursor.executemany(upsert, heads[start : start + CHUNK])


def _checkpoint(rt: Any) -> None:
    from services.registration.ledger import checkpoints

    with rt.db.unit_of_work() as uow:
        checkpoints.make(uow.session)
        uow.commit()


def _settle(rt: Any) -> None:
    """Start each append curve point from rest: the write-ahead log folded into the database
    and the seeding's gigabytes written back by the kernel, so the appends timed do not queue
    behind either (in production both happen a little at a time)."""
    if rt.db.engine.dialect.name == "sqlite":
        raw = rt.db.engine.raw_connection()  # outside a transaction, which the pragma needs
        try:
            raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            raw.close()
    os.sync()


def _bigger_cache(url: str, megabytes: int) -> Any:
    """A second handle on the database whose connections get a bigger SQLite page cache."""
    if not megabytes or not url.startswith("sqlite"):
        return None
    from sqlalchemy import event

    from shared.db import Database

    db = Database(url)

    @event.listens_for(db.engine, "connect")
    def _cache(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA cache_size=-{megabytes * 1024}")

    return db


def _appends(db: Any, cases: list[uuid.UUID], count: int) -> list[float]:
    """Append ``count`` entries through the product's writer, timing each unit of work."""
    import random

    from services.registration.ledger import writer
    from shared.ids import new_id

    rnd = random.Random(next(_SEEDS))  # each curve point appends to other cases
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with db.unit_of_work() as uow:
            writer.append(
                session=uow.session,
                dossier_id=rnd.choice(cases),
                event_id=new_id(),
                kind="evaluation.sheet_submitted",
                occurred_at=datetime.now(UTC),
                producer="evaluation",
                actor={"user_id": None, "role": "system"},
                correlation_id=None,
                payload={"total": rnd.random() * 100, "answers": {"A1.1": "c"}},
            )
            uow.commit()
        times.append(time.perf_counter() - started)
    return times


def _resync(rt: Any, chain: Generator) -> None:
    """The generator carries on from the heads the writer left."""
    from services.registration.ledger.writer import GLOBAL
    from services.registration.models import LedgerHead

    with rt.db.reader() as session:
        for row in session.execute(select(LedgerHead)).scalars():
            if row.chain == GLOBAL:
                chain.seq, chain.head = row.length, row.head
            else:
                chain.heads[uuid.UUID(row.chain)] = (row.length, row.head)


def _load(
    rt: Any, *, one_pass: bool
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """The verifier's two passes get their rows in the orders the database streams them: global
    links in order of seq, entries in order of (dossier, n); loaded before timing. The one-pass
    walk's rows (every column in order of seq) only when asked for."""
    from services.registration.models import LedgerEntry as E

    with rt.db.reader() as session:
        t0 = time.perf_counter()

        def read(query: Any) -> Any:
            return session.execute(query.execution_options(yield_per=CHUNK))

        links = [
            (s, d.bytes, n, c, gp, g)
            for s, d, n, c, gp, g in read(
                select(
                    E.seq, E.dossier_id, E.n, E.case_hash, E.global_prev, E.global_hash
                ).order_by(E.seq)
            )
        ]
        entries = [
            (d.bytes, n, s, b, c)
            for d, n, s, b, c in read(
                select(E.dossier_id, E.n, E.seq, E.body, E.case_hash).order_by(E.dossier_id, E.n)
            )
        ]
        rows = []
        if one_pass:
            rows = [
                (s, d.bytes, n, b, c, gp, g)
                for s, d, n, b, c, gp, g in read(
                    select(
                        E.seq, E.dossier_id, E.n, E.body, E.case_hash, E.global_prev, E.global_hash
                    ).order_by(E.seq)
                )
            ]
        print(f"\n(loading the rows from the database took {time.perf_counter() - t0:.1f}s)")
    return links, entries, rows


def _walk_rates(
    links: list[tuple[Any, ...]], entries: list[tuple[Any, ...]], rows: list[tuple[Any, ...]]
) -> int:
    """The verifier's walk against bare loops over the same objects, each list in the order it
    was read; alternated rounds, best of each. Returns the number of entries."""
    bodies = [r[3] for r in entries]
    timings = _alternate(_walk_loops(links, entries, rows, bodies), rounds=3)
    _print_rates(len(entries), sum(map(len, bodies)) / len(entries), timings)
    return len(entries)


def _walk_loops(
    links: list[tuple[Any, ...]],
    entries: list[tuple[Any, ...]],
    rows: list[tuple[Any, ...]],
    bodies: list[bytes],
) -> tuple[Callable[[], None], ...]:
    """The loops timed: bare chains, the verifier's walk, the one-pass walk if rows were read."""
    from shared.ledger.chain import CaseWalk, GlobalWalk
    from tests.support.ledger import LedgerWalk

    pairs = [(r[1], r[3]) for r in links]  # (dossier, case hash) of each entry, in seq order

    def bare() -> None:
        head = GENESIS
        for data in bodies:
            head = sha256(head + data).digest()

    def bare_both() -> None:
        """The same bytes the verifier hashes: a chain over the bodies, one over the links."""
        head = link = GENESIS
        for data, (dossier, _case_hash) in zip(bodies, pairs, strict=True):
            head = sha256(head + data).digest()
            link = sha256(link + head + dossier).digest()

    def walk() -> None:
        links_walk, cases = GlobalWalk(), CaseWalk()
        for start in range(0, len(links), CHUNK):
            assert links_walk.feed(links[start : start + CHUNK]), links_walk.broken
        for start in range(0, len(entries), CHUNK):
            cases.feed(entries[start : start + CHUNK])
        cases.close()
        assert not cases.suspects, cases.suspects[:3]

    def walk_one_pass() -> None:
        w = LedgerWalk()
        for start in range(0, len(rows), CHUNK):
            assert w.feed(rows[start : start + CHUNK]), w.broken

    return (bare, bare_both, walk, *((walk_one_pass,) if rows else ()))


def _print_rates(count: int, size: float, timings: tuple[float, ...]) -> None:
    bare_t, both_t, walk_t, *rest = timings
    print(f"verification over {count} entries (mean body {size:.0f} bytes):")
    print(f"  bare SHA-256 chain over the bodies        {count / bare_t:>12,.0f} entries/s")
    print(f"  bare SHA-256 chains over the same bytes   {count / both_t:>12,.0f} entries/s")
    print(f"  ledger walk (both chains, every link)     {count / walk_t:>12,.0f} entries/s")
    print(f"  ratio to the bare chains, same bytes      {both_t / walk_t:>12.2f}   (target >= 0.7)")
    print(f"  ratio to the bare body chain alone        {bare_t / walk_t:>12.2f}")
    if rest:
        print(f"  one-pass LedgerWalk (before #5's fix)     {count / rest[0]:>12,.0f} entries/s")
        print(f"  its ratio to the bare chains, same bytes  {both_t / rest[0]:>12.2f}")


def _verification(rt: Any, big: uuid.UUID, *, one_pass: bool) -> None:
    """Entries verified per second (both chains, whole ledger) against bare SHA-256 chain
    loops over the same bytes; then the online verifier and the offline one on the big case."""
    from services.registration.ledger import export
    from services.registration.ledger import verify as ledger_verify
    from shared.ledger import casefile

    count = _walk_rates(*_load(rt, one_pass=one_pass))  # the rows are dropped on return
    _checkpoint(rt)
    with rt.db.reader() as session:
        t0 = time.perf_counter()
        report = ledger_verify.verify_ledger(session)
        online = time.perf_counter() - t0
        assert report.valid, report.text()
        data = export.archive(export.load(session, big))
    print(f"  online verify_ledger, database read included: {count / online:,.0f} entries/s")
    t0 = time.perf_counter()
    case = casefile.verify_bytes(data)
    offline = time.perf_counter() - t0
    assert case.valid, case.text()
    print(
        f"  offline verify of the big case file ({case.entries} entries, "
        f"{len(data) / 1e6:.1f} MB zip): {offline * 1000:.0f} ms"
    )


def _history(call: Any, applicant: Any, auditor: Any, big: uuid.UUID, requests: int) -> None:
    """p95 of one page (limit 50) of the big case's history, at its start, middle and end."""
    print(f"\nhistory of a case with its entries, limit 50, {requests} requests per view:")
    print(f"  {'view':<34} {'p50 ms':>8} {'p95 ms':>8}")
    path = f"/api/v1/dossiers/{big}/history"
    for who, actor in (
        ("applicant (own view)", applicant),
        ("auditor (full, read recorded)", auditor),
    ):
        for where, after in (("first page", None), ("page at n=5000", 5000), ("last page", 9950)):
            query = {"limit": 50, **({"after": after} if after is not None else {})}

            def one(actor: Any = actor, query: dict = query) -> None:
                reply = actor("GET", path, query_string=query)
                assert reply.status == 200, reply.body

            for _ in range(5):
                one()
            times = []
            for _ in range(requests):
                t0 = time.perf_counter()
                one()
                times.append(time.perf_counter() - t0)
            label = f"{who}, {where}"
            print(f"  {label:<34} {_ms(statistics.median(times))} {_ms(_p95(times))}")
    print("  (in-process Flask test client: the endpoint's own time, no HTTP server)")


def _alternate(fns: tuple[Callable[[], None], ...], rounds: int) -> tuple[float, ...]:
    """Best time of each function, run in turn ``rounds`` times (drift weighs on all alike)."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return tuple(best)


def _p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:>8.2f}"


def _fresh_postgres(base: str) -> tuple[str, str]:
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"ocop_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(base).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    url = make_url(base).set(drivername="postgresql+psycopg", database=name)
    return name, url.render_as_string(hide_password=False)


def _drop_postgres(base: str, name: str) -> None:
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(base).set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    raise SystemExit(main())
