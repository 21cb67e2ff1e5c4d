"""B4 ledger benchmark: verification against a bare SHA-256 chain loop, the history endpoint
on a case of 10,000 entries, and append time as the ledger grows.

    .venv/bin/python -m bench.ledger.run [--entries 300000] [--cases 20000] \
        [--stages 10000,100000] [--history 10000] [--pg-url URL] [--keep]

Seeds a fresh registration database (SQLite under a temporary data dir, or a fresh PostgreSQL
database with ``--pg-url``) through the product's migrations. Entries are generated with
shared.ledger (both chains, heads written as the writer would), bulk-inserted in stages; after
each stage 300 entries are appended through the product's writer, each in its own committed
unit of work, as the consumer does. Prints ratios beside absolute figures (bench/README.md).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from hashlib import sha256
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select, update

CHUNK = 5000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=300_000, help="entries over all cases")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--stages", default="10000,100000", help="append curve points (entries)")
    parser.add_argument("--history", type=int, default=10_000, help="entries of the big case")
    parser.add_argument("--requests", type=int, default=200, help="history requests per view")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL"))
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
    from services.registration.runtime import Registration
    from services.registration.seed import ensure_reference_data, seed_demo
    from shared.migrate import upgrade
    from tests.support import flows
    from tests.support.ledger import Chain

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
    chain = Chain(seed=7)
    print(f"database: {rt.db.engine.dialect.name}; cases {args.cases}; big case {args.history}")

    t0 = time.perf_counter()
    _insert(rt, chain, chain.take([big], args.history))
    _checkpoint(rt)  # as the periodic task would: the big case's file needs a short bridge
    print(f"seeded the big case: {args.history} entries in {time.perf_counter() - t0:.1f}s")
    stages = sorted({int(s) for s in args.stages.split(",") if s} | {args.entries})
    print("\nappend (one committed unit of work each, as the consumer):")
    print(f"  {'entries':>10} {'p50 ms':>8} {'p95 ms':>8} {'per s':>8}")
    for stage in stages:
        if stage > chain.seq:
            t0 = time.perf_counter()
            _insert(rt, chain, chain.take(cases, stage - chain.seq))
            seeded = time.perf_counter() - t0
        else:
            seeded = 0.0
        times = _appends(rt, cases, 300)
        _resync(rt, chain)
        print(
            f"  {chain.seq:>10} {_ms(statistics.median(times))} {_ms(_p95(times))} "
            f"{len(times) / sum(times):>8.0f}   (seeded in {seeded:.0f}s)"
        )
    _verification(rt, big)
    _history(call, applicant, auditor, big, args.requests)
    rt.close()
    return 0


def _insert(rt: Any, chain: Any, rows: Iterable[tuple]) -> None:
    """Bulk-insert generated rows and bring the heads up to date (what appends would leave)."""
    from services.registration.ledger.writer import GLOBAL
    from services.registration.models import LedgerEntry, LedgerHead

    now = datetime.now(UTC)
    batch: list[dict[str, Any]] = []

    def flush() -> None:
        with rt.db.unit_of_work() as uow:
            uow.session.execute(insert(LedgerEntry.__table__), batch)
            uow.commit()
        batch.clear()

    for seq, dossier, n, body, case_hash, global_prev, global_hash in rows:
        batch.append(
            {
                "seq": seq,
                "dossier_id": uuid.UUID(bytes=dossier),
                "n": n,
                "event_id": uuid.uuid4(),
                "kind": _kind(body),
                "occurred_at": now,
                "actor_id": None,
                "body": body,
                "case_hash": case_hash,
                "global_prev": global_prev,
                "global_hash": global_hash,
            }
        )
        if len(batch) >= CHUNK:
            flush()
    if batch:
        flush()
    heads = LedgerHead.__table__
    with rt.db.unit_of_work() as uow:
        s = uow.session
        s.execute(
            update(heads).where(heads.c.chain == GLOBAL).values(length=chain.seq, head=chain.head)
        )
        known = set(s.execute(select(heads.c.chain)).scalars())
        fresh = [
            {"chain": str(d), "length": n, "head": h}
            for d, (n, h) in chain.heads.items()
            if str(d) not in known
        ]
        if fresh:
            s.execute(insert(heads), fresh)
        for d, (n, h) in chain.heads.items():
            if str(d) in known:
                s.execute(update(heads).where(heads.c.chain == str(d)).values(length=n, head=h))
        uow.commit()


def _checkpoint(rt: Any) -> None:
    from services.registration.ledger import checkpoints

    with rt.db.unit_of_work() as uow:
        checkpoints.make(uow.session)
        uow.commit()


def _kind(body: bytes) -> str:
    """The entry's kind, read from its canonical body without parsing all of it."""
    start = body.index(b'"kind":"') + 8
    return body[start : body.index(b'"', start)].decode()


def _appends(rt: Any, cases: list[uuid.UUID], count: int) -> list[float]:
    """Append ``count`` entries through the product's writer, timing each unit of work."""
    import random

    from services.registration.ledger import writer
    from shared.ids import new_id

    rnd = random.Random(count)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        with rt.db.unit_of_work() as uow:
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


def _resync(rt: Any, chain: Any) -> None:
    """The generator carries on from the heads the writer left."""
    from services.registration.ledger.writer import GLOBAL
    from services.registration.models import LedgerHead

    with rt.db.reader() as session:
        for row in session.execute(select(LedgerHead)).scalars():
            if row.chain == GLOBAL:
                chain.seq, chain.head = row.length, row.head
            else:
                chain.heads[uuid.UUID(row.chain)] = (row.length, row.head)


def _verification(rt: Any, big: uuid.UUID) -> None:
    """Entries verified per second (both chains, whole ledger) against a bare SHA-256 chain
    loop over the same bodies; alternated rounds, best of each."""
    from services.registration.ledger import export
    from services.registration.ledger import verify as ledger_verify
    from services.registration.models import LedgerEntry as E
    from shared.ledger import casefile
    from shared.ledger.chain import GENESIS, LedgerWalk

    with rt.db.reader() as session:
        t0 = time.perf_counter()
        rows = [
            (s, d.bytes, n, b, c, gp, g)
            for s, d, n, b, c, gp, g in session.execute(
                select(
                    E.seq, E.dossier_id, E.n, E.body, E.case_hash, E.global_prev, E.global_hash
                ).order_by(E.seq)
            )
        ]
        loaded = time.perf_counter() - t0
    bodies = [r[3] for r in rows]

    links = [(r[1], r[4]) for r in rows]

    def bare() -> None:
        head = GENESIS
        for body in bodies:
            head = sha256(head + body).digest()

    def bare_both() -> None:
        """The same bytes the verifier hashes: the body chain and the global link chain."""
        head = link = GENESIS
        for body, (dossier, _case_hash) in zip(bodies, links, strict=True):
            head = sha256(head + body).digest()
            link = sha256(link + head + dossier).digest()

    def walk() -> None:
        w = LedgerWalk()
        for start in range(0, len(rows), 5000):
            assert w.feed(rows[start : start + 5000]), w.broken

    bare_t, both_t, walk_t = _alternate((bare, bare_both, walk), rounds=3)
    count, size = len(rows), sum(map(len, bodies)) / len(rows)
    print(f"\nverification over {count} entries (mean body {size:.0f} bytes):")
    print(f"  bare SHA-256 chain over the bodies        {count / bare_t:>12,.0f} entries/s")
    print(f"  bare SHA-256 chains over the same bytes   {count / both_t:>12,.0f} entries/s")
    print(f"  ledger walk (both chains, every link)     {count / walk_t:>12,.0f} entries/s")
    print(f"  ratio to the bare chains, same bytes      {both_t / walk_t:>12.2f}   (target >= 0.7)")
    print(f"  ratio to the bare body chain alone        {bare_t / walk_t:>12.2f}")
    print(f"  (loading the rows from the database took {loaded:.1f}s, not counted)")

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
