"""B1 intake: dossiers created and submitted per second through the HTTP API under gunicorn,
against a minimal Flask + SQLAlchemy one-insert endpoint on the same database and settings;
the dossier list's latency at ``--seed`` dossiers; the RSS of every web process.

    .venv/bin/python -m bench.intake.run --mode embedded|servers [--seconds 20] [--rounds 4]
        [--clients 8] [--workers 2] [--seed 100000]

The ceiling and the product are loaded in alternating rounds; see bench/README.md.

Prints absolute figures beside the ratios, PASS/FAIL per target, and exits 0 (it is a report);
nonzero only when the run itself failed (a server did not start, requests errored).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

import requests
from sqlalchemy import Engine

from bench.intake import ceiling, seed
from bench.intake.load import (
    Latency,
    LoadResult,
    Op,
    expect,
    measure_gets,
    percentile,
    run_load,
)
from bench.intake.procs import (
    BROKER_URL,
    CEILING_APP,
    PG_URL,
    PRODUCT_APP,
    RssSampler,
    RunEnv,
    Server,
    Servers,
    free_port,
    ocop,
    run_env,
    web_argv,
)
from shared.db import make_engine
from tests.support.flows import DEMO_PASSWORD, OTHER_COMMUNE, dossier_body, producer_body

THROUGHPUT_TARGET = 0.5  # product dossiers/s ÷ ceiling rows/s
P95_TARGET_MS = 50.0
RSS_TARGET_MB = 150.0
API = "/api/v1"


@dataclass
class Report:
    mode: str
    args: argparse.Namespace
    ceiling: LoadResult | None = None
    product: LoadResult | None = None
    ceiling_rounds: list[LoadResult] = field(default_factory=list)
    product_rounds: list[LoadResult] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    plans: list[tuple[str, seed.Plan]] = field(default_factory=list)
    plans_analyzed: list[tuple[str, seed.Plan]] = field(default_factory=list)
    rss: dict[str, RssSampler] = field(default_factory=dict)
    seeded: seed.SeedSummary | None = None
    load_start: str = field(default_factory=lambda: loadavg())
    load_end: str = ""


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def login(base: str, email: str) -> str:
    resp = requests.post(
        f"{base}{API}/auth/token", json={"email": email, "password": DEMO_PASSWORD}, timeout=30
    )
    return str(expect(resp, 200, f"login {email}")["access_token"])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def start_ceiling(servers: Servers, env: RunEnv, workers: int) -> Server:
    ceiling.create_table(env.database_url)
    port = free_port()
    argv = [CEILING_APP if arg == PRODUCT_APP else arg for arg in web_argv(port, workers)]
    print(f"  gunicorn settings (as `ocop web`): {' '.join(argv[argv.index('--workers') :])}")
    return servers.start("ceiling", argv, env, port)


def start_product(servers: Servers, env: RunEnv, workers: int) -> Server:
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "services.cli",
        "web",
        "registration",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    return servers.start("registration", argv, env, port)


def ceiling_op(server: Server) -> Op:
    body = dossier_body(producer_id="00000000-0000-0000-0000-000000000000")

    def op(session: requests.Session) -> list[float]:
        t0 = time.perf_counter()
        expect(session.post(f"{server.url}/rows", json=body, timeout=60), 201, "ceiling insert")
        return [time.perf_counter() - t0]

    return op


def product_op(server: Server, token: str, producer_id: str) -> Op:
    body = dossier_body(producer_id)
    headers = bearer(token)
    base = f"{server.url}{API}/dossiers"

    def op(session: requests.Session) -> list[float]:
        t0 = time.perf_counter()
        created = expect(session.post(base, json=body, headers=headers, timeout=60), 201, "create")
        t1 = time.perf_counter()
        version = {"version": created["version"]}
        url = f"{base}/{created['id']}/submit"
        expect(session.post(url, json=version, headers=headers, timeout=60), 200, "submit")
        return [t1 - t0, time.perf_counter() - t1]

    return op


def measure_intake(report: Report, ceiling_srv: Server, product_srv: Server, product: Op) -> None:
    """Alternate ceiling and product loads in short rounds (C P C P …), so that other work on
    the machine weighs on both alike; each round has its own short warm-up."""
    a = report.args
    share = a.seconds / a.rounds
    for i in range(a.rounds):
        print(f"  round {i + 1}/{a.rounds}: ceiling, product ({share:g} s each)", flush=True)
        for server, op, runs in (
            (ceiling_srv, ceiling_op(ceiling_srv), report.ceiling_rounds),
            (product_srv, product, report.product_rounds),
        ):
            runs.append(
                run_load(
                    op,
                    clients=a.clients,
                    seconds=share,
                    warmup=a.warmup,
                    server_cpu=server.cpu_seconds,
                )
            )
    report.ceiling = LoadResult.merge(report.ceiling_rounds)
    report.product = LoadResult.merge(report.product_rounds)


def deep_cursor(session: requests.Session, url: str, token: str, pages: int) -> str | None:
    """The cursor after following ``next`` ``pages`` times."""
    cursor = None
    for _ in range(pages):
        sep = "&" if "?" in url else "?"
        page = expect(
            session.get(
                url + (f"{sep}after={cursor}" if cursor else ""), headers=bearer(token), timeout=60
            ),
            200,
            "list",
        )
        cursor = page["next"]
        if cursor is None:
            break
    return cursor


PLAN_CASES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("officer", {}),
    ("officer", {"status": ("submitted",)}),
    ("auditor", {}),
    ("auditor", {"status": ("submitted",)}),
    ("applicant", {}),
    ("seeded applicant", {}),
)


def explain_all(engine: Engine, tokens: dict[str, str]) -> list[tuple[str, seed.Plan]]:
    return [
        (
            who + "".join(f" {k}={v}" for k, v in filters.items()),
            seed.explain_list(engine, tokens[who], filters),
        )
        for who, filters in PLAN_CASES
    ]


def measure_listing(
    report: Report, server: Server, env: RunEnv, tokens: dict[str, str], rss: RssSampler
) -> None:
    a = report.args
    engine = make_engine(env.database_url)
    try:
        print(f"  seeding {a.seed:,} dossiers ...", flush=True)
        report.seeded = seed.seed(engine, a.seed)
        print(f"  seeded in {report.seeded.seconds:.1f} s", flush=True)
        tokens["seeded applicant"] = login(server.url, report.seeded.sample_applicant)
        report.plans = explain_all(engine, tokens)
        rss.enter("listing")
        session = requests.Session()
        url = f"{server.url}{API}/dossiers?limit=50"
        scenarios: list[tuple[str, str, str]] = [
            ("officer", "officer", url),
            ("officer status=submitted", "officer", url + "&status=submitted"),
            ("auditor (province 45)", "auditor", url),
            ("auditor status=submitted", "auditor", url + "&status=submitted"),
            ("applicant (demo)", "applicant", url),
            ("applicant (seeded)", "seeded applicant", url),
        ]
        for name, who, target in list(scenarios):
            if who in ("officer", "auditor"):
                cursor = deep_cursor(session, target, tokens[who], a.deep_pages)
                if cursor:
                    deep = (f"{name} page {a.deep_pages + 1}", who, f"{target}&after={cursor}")
                    scenarios.append(deep)
        print(f"  {len(scenarios)} scenarios x {a.list_requests} GETs, in turn ...", flush=True)
        report.latencies = measure_gets(
            session,
            [(name, target, tokens[who]) for name, who, target in scenarios],
            rounds=a.list_requests,
        )
        session.close()
        if env.mode == "embedded":
            # The product never runs ANALYZE on SQLite; show what the planner would do after it.
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            report.plans_analyzed = explain_all(engine, tokens)
    finally:
        engine.dispose()


def run(report: Report) -> None:
    a = report.args
    servers = Servers()
    with run_env(a.mode, pg_url=a.pg_url, broker_url=a.broker_url, keep=a.keep) as env:
        try:
            print(f"data dir {env.data_dir}; database {env.database_url}", flush=True)
            ocop(env, "migrate", "registration")
            ocop(env, "seed")
            ceiling_srv = start_ceiling(servers, env, a.workers)
            product_srv = start_product(servers, env, a.workers)
            with RssSampler(ceiling_srv) as c_rss, RssSampler(product_srv) as p_rss:
                report.rss = {"ceiling": c_rss, "registration": p_rss}
                ceiling_srv.wait_ready()
                product_srv.wait_ready()
                p_rss.enter("logins")
                tokens, producer_id = prepare(product_srv.url)
                c_rss.enter("intake")
                p_rss.enter("intake")
                print("intake ...", flush=True)
                op = product_op(product_srv, tokens["applicant"], producer_id)
                measure_intake(report, ceiling_srv, product_srv, op)
                servers.stop(ceiling_srv.proc)
                if a.seed > 0:
                    p_rss.enter("seed+login")
                    print("listing ...", flush=True)
                    measure_listing(report, product_srv, env, tokens, p_rss)
        finally:
            servers.stop_all()


def prepare(base: str) -> tuple[dict[str, str], str]:
    """Log in once per caller; the applicant's producer; a province-wide auditor."""
    tokens = {
        "admin": login(base, "admin@ocop.local"),
        "applicant": login(base, "hoptacxa@ocop.local"),
        "officer": login(base, "xa.dongha@ocop.local"),
    }
    # The intake producer files outside the officer's commune, so the officer's list keeps the
    # seeded ~1/100 share.
    resp = requests.post(
        f"{base}{API}/producers",
        json=producer_body(OTHER_COMMUNE),
        headers=bearer(tokens["applicant"]),
        timeout=30,
    )
    producer_id = str(expect(resp, 201, "producer")["id"])
    auditor = {
        "email": "bench.auditor@ocop.local",
        "password": DEMO_PASSWORD,
        "display_name": "Bench auditor",
        "roles": ["auditor"],
        "unit": "pre2025:province:45",
    }
    resp = requests.post(
        f"{base}{API}/accounts", json=auditor, headers=bearer(tokens["admin"]), timeout=30
    )
    expect(resp, 201, "auditor")
    tokens["auditor"] = login(base, auditor["email"])
    return tokens, producer_id


# --- the report ------------------------------------------------------------------------------

ROW = "{:<44} {:>16} {:>16} {:>8} {:>8}  {}"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def _ms_per(seconds: float, units: int) -> str:
    return f"{1000 * seconds / max(units, 1):.2f}"


def _p50_p95(values: list[float]) -> str:
    return f"{percentile(values, 50) * 1000:.1f} / {percentile(values, 95) * 1000:.1f}"


def print_throughput(r: Report) -> bool:
    c, p = r.ceiling, r.product
    assert c is not None and p is not None
    ratio = p.per_second / c.per_second if c.per_second else 0.0
    print(ROW.format("figure", "product", "ceiling", "ratio", "target", "result"))
    print(
        ROW.format(
            "dossiers created+submitted /s vs rows /s",
            f"{p.per_second:.1f}/s",
            f"{c.per_second:.1f}/s",
            f"{ratio:.2f}",
            f"≥ {THROUGHPUT_TARGET}",
            verdict(ratio >= THROUGHPUT_TARGET),
        )
    )
    cpu_p = p.server_cpu_seconds / max(p.completed, 1)
    cpu_c = c.server_cpu_seconds / max(c.completed, 1)
    for label, prod, ceil, extra in (
        ("  HTTP requests /s", f"{2 * p.per_second:.1f}/s", f"{c.per_second:.1f}/s", ""),
        ("  units in the measured window", str(p.completed), str(c.completed), ""),
        (
            "  server CPU ms per unit (master+workers)",
            _ms_per(p.server_cpu_seconds, p.completed),
            _ms_per(c.server_cpu_seconds, c.completed),
            f"{cpu_c / cpu_p:.2f}" if cpu_p else "",
        ),
        (
            "  client CPU ms per unit (load threads)",
            _ms_per(p.client_cpu_seconds, p.completed),
            _ms_per(c.client_cpu_seconds, c.completed),
            "",
        ),
        ("  request latency p50 / p95 ms", _p50_p95(p.latencies), _p50_p95(c.latencies), ""),
    ):
        print(ROW.format(label, prod, ceil, extra, "", ""))
    per_round = [
        pr.per_second / cr.per_second
        for cr, pr in zip(r.ceiling_rounds, r.product_rounds, strict=True)
        if cr.per_second
    ]
    if per_round:
        print(
            ROW.format(
                "  ratio per round, min / max",
                "",
                "",
                f"{min(per_round):.2f}/{max(per_round):.2f}",
                "",
                "",
            )
        )
    ok = True
    for name, res in (("product", p), ("ceiling", c)):
        if res.error_count:
            ok = False
            print(
                f"\n!!! {res.error_count} FAILED REQUESTS in the {name} load: "
                f"{dict(res.errors)}\n!!! first: {res.first_errors[:3]}\n"
            )
        elif res.first_errors:
            print(f"  ({name}: errors during warm-up only: {res.first_errors[:2]})")
    return ok


def print_listing(r: Report) -> bool:
    assert r.seeded is not None
    s, filed = r.seeded, r.product.completed if r.product else 0
    print(
        f"\nGET /api/v1/dossiers?limit=50 at {s.dossiers:,} seeded dossiers (+ those the load "
        f"filed, {filed}+ in another commune); officer's commune {s.officer_commune:,}; seeded "
        f"applicant {s.sample_applicant_dossiers}; {r.args.list_requests} sequential GETs each"
    )
    lrow = "{:<44} {:>7} {:>8} {:>8} {:>8} {:>6}  {}"
    print(
        lrow.format(
            "scenario",
            "items",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors",
            f"p95 < {P95_TARGET_MS:g} ms",
        )
    )
    ok = True
    for lat in r.latencies:
        ok &= not lat.errors
        print(
            lrow.format(
                lat.name,
                lat.items,
                f"{lat.ms(50):.1f}",
                f"{lat.ms(95):.1f}",
                f"{lat.ms(99):.1f}",
                lat.errors,
                verdict(lat.ms(95) < P95_TARGET_MS and not lat.errors),
            )
        )
    explain = "EXPLAIN QUERY PLAN" if r.mode == "embedded" else "EXPLAIN ANALYZE"
    print(
        f"\nplans of the list statement ({explain}; INDEX = read through an index, no full "
        "table scan):"
    )
    for label, plan in r.plans:
        print(f"  {label:<28} {'INDEX' if plan.index_backed else 'NO INDEX':<9} {plan.verdict()}")
        for line in plan.lines:
            print(f"      {line}")
    if r.plans_analyzed:
        print(
            "the same after ANALYZE (the product never runs it on SQLite; latencies above are "
            "without it):"
        )
        for label, plan in r.plans_analyzed:
            print(
                f"  {label:<28} {'INDEX' if plan.index_backed else 'NO INDEX':<9} {plan.verdict()}"
            )
    return ok


def print_rss(r: Report) -> None:
    print(f"\npeak RSS per process and phase, MB (target < {RSS_TARGET_MB:g} MB per web process):")
    for name, sampler in r.rss.items():
        print(
            "  "
            + " ".join(f"{h:>12}" for h in ("server", "process", "pid", *sampler.phases, "peak"))
        )
        for pid, per_phase in sorted(sampler.peak.items()):
            peak = max(per_phase.values())
            cells = [
                f"{per_phase[ph]:12.1f}" if ph in per_phase else f"{'-':>12}"
                for ph in sampler.phases
            ]
            judged = verdict(peak < RSS_TARGET_MB) if name == "registration" else "(reference)"
            print(
                f"  {name:>12} {sampler.roles[pid]:>12} {pid:>12} {' '.join(cells)} "
                f"{peak:12.1f}  {judged}"
            )


def print_report(r: Report) -> bool:
    """Print the tables; returns False when requests of the run failed."""
    a = r.args
    ok = True
    print("\n" + "=" * 100)
    print(
        f"B1 intake — mode {r.mode}: {a.workers} gunicorn workers, {a.clients} clients, "
        f"{a.seconds:g} s per side in {a.rounds} alternating rounds (+{a.warmup:g} s warm-up "
        f"each), {os.cpu_count()} cores"
    )
    print(
        f"load average at start / end: {r.load_start} / {r.load_end} (other work on the machine "
        "moves the absolute figures; the ratios are measured in the same run)"
    )
    print("=" * 100)
    if r.ceiling and r.product:
        ok &= print_throughput(r)
    if r.seeded:
        ok &= print_listing(r)
    print_rss(r)
    print("=" * 100)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.intake.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", choices=("embedded", "servers"), default="embedded")
    parser.add_argument("--seconds", type=float, default=20, help="measured load per side")
    parser.add_argument("--rounds", type=int, default=4, help="ceiling/product alternations")
    parser.add_argument("--warmup", type=float, default=1, help="unmeasured load per round")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=100_000, help="dossiers for the list (0: skip)")
    parser.add_argument("--list-requests", type=int, default=300)
    parser.add_argument("--deep-pages", type=int, default=20)
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", BROKER_URL))
    parser.add_argument("--keep", action="store_true", help="keep the data dir (logs)")
    args = parser.parse_args(argv)

    def terminate(signum: int, _frame: Any) -> NoReturn:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, terminate)
    report = Report(mode=args.mode, args=args)
    try:
        run(report)
        report.load_end = loadavg()
    except KeyboardInterrupt:
        print("\ninterrupted; servers stopped", file=sys.stderr)
        return 130
    except Exception as exc:
        print_report(report)
        print(f"\n!!! the run failed: {exc!r}", file=sys.stderr)
        raise
    return 0 if print_report(report) else 1


if __name__ == "__main__":
    sys.exit(main())
