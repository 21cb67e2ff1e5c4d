"""B2 pipeline: N dossiers driven over HTTP from filing through the commune review, the district
and province councils and the province's decision to a certificate, between real processes
(registration and evaluation web; worker and relay of all three services; the SMTP sink),
against no-op Celery tasks on the same broker measured in the same run.

    .venv/bin/python -m bench.pipeline.run --mode embedded|servers [--dossiers 1000]
        [--workers 1] [--clients 4] [--noop-tasks 3000] [--keep]

Phases: setup (officials, applicants, two councils) → no-op ceiling → intake (filed, uploaded,
submitted, accepted; evaluation's worker stopped, so its events queue fills) → drain
(evaluation's worker started on that backlog) → evaluation (every dossier through both councils
and the decision, all workers running) → no-op ceiling again. See bench/README.md, "B2".

Prints absolute figures beside the ratios and PASS/FAIL per target. Exit status 0: a complete
report, whatever PASS/FAIL it shows; 1: requests failed or events were never handled; other
nonzero: the run itself failed; 130: interrupted.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, NoReturn

from bench.intake.load import percentile
from bench.intake.procs import BROKER_URL, PG_URL, ROOT, ocop
from bench.pipeline import drive, mail, measure
from bench.pipeline.measure import Databases, Handled, Percentiles, Published, Rate
from bench.pipeline.stack import PipelineEnv, Stack, pipeline_env, ports, wait_log, wait_port
from shared.config import SERVICES
from shared.messaging import topology

RATIO_TARGET = 0.5  # events handled /s ÷ no-op tasks /s
P99_TARGET_S = {"embedded": 2.0, "servers": 1.0}
RSS_TARGET_MB = 150.0  # B1's per web process figure, shown for reference
INTAKE_EVENTS = ("dossier.accepted", "dossier.document_added")  # what evaluation handles of each
IDLE_SECONDS = 5.0  # the stack idle: what its polling costs


@dataclass
class Noop:
    tasks: int
    rate: Rate
    cpu_per_task: float
    publish_seconds: float  # the publisher's whole run, start-up included
    stalls: measure.Stalls


@dataclass
class Mark:
    phase: str
    at: float
    machine: tuple[float, float]
    cpu: dict[str, float]


@dataclass
class Report:
    args: argparse.Namespace
    load_start: str = field(default_factory=lambda: loadavg())
    load_end: str = ""
    started: float = field(default_factory=time.monotonic)
    noops: list[Noop] = field(default_factory=list)
    marks: list[Mark] = field(default_factory=list)
    timings: drive.Timings = field(default_factory=drive.Timings)
    dossiers: list[str] = field(default_factory=list)
    windows: dict[str, tuple[float, float]] = field(default_factory=dict)
    backlog: int = 0
    drain_cpu: list[tuple[float, float]] = field(default_factory=list)  # (time, worker CPU s)
    published: list[Published] = field(default_factory=list)
    handled: list[Handled] = field(default_factory=list)
    emails: dict[Any, list[float]] | None = None
    mail: mail.MailReport = field(default_factory=mail.MailReport)
    worker_stalls: dict[str, tuple[int, measure.Stalls]] = field(default_factory=dict)
    worker_busy: dict[str, dict[str, tuple[int, float]]] = field(default_factory=dict)
    drain_stalls: measure.Stalls | None = None
    unfinished: list[str] = field(default_factory=list)
    stack: Stack | None = None


def loadavg() -> str:
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


# --- the phases -----------------------------------------------------------------------------


def mark(report: Report, stack: Stack, phase: str) -> None:
    """Enter ``phase``: RSS samplers, and the CPU of every live process and of the machine."""
    stack.enter(phase)
    cpu = {n: s.cpu_seconds() for n, s in stack.procs.items() if n not in stack.stopped}
    cpu[BENCH] = measure.own_cpu()
    if report.args.mode == "servers":
        for command, seconds in measure.cpu_by_command(*SERVERS).items():
            cpu[SERVERS[command]] = seconds
    report.marks.append(Mark(phase, time.time(), measure.machine_cpu(), cpu))


BENCH = "bench (clients, samplers)"
SERVERS = {"postgres": "postgresql (shared)", "beam.smp": "rabbitmq (shared)"}


def start_stack(stack: Stack, port: dict[str, int], workers: int) -> None:
    """Both web APIs, the relays and workers of all three services, and the SMTP sink."""
    wait_port(stack.sink(port["smtp"], port["sink-http"]), port["smtp"])
    webs = [stack.web(s, port[s], workers) for s in ("registration", "evaluation")]
    for web in webs:
        web.wait_ready()
    for service in SERVICES:
        stack.relay(service)
        stack.worker(service)
    for service in SERVICES:
        wait_log(stack.procs[f"{service}-worker"], "ready.")
    mail.start_sender(stack)
    stack.check_alive()


def run_noop(stack: Stack, env: PipelineEnv, tasks: int, name: str) -> Noop:
    """Publish ``tasks`` no-op messages, then let a worker started like ``ocop worker`` consume
    them; its own stamps give the rate."""
    stamps = env.data_dir / f"{name}.stamps"
    t0 = time.monotonic()
    subprocess.run(
        [sys.executable, "-m", "bench.pipeline.noop", "publish", str(tasks)],
        cwd=ROOT,
        env=env.variables(),
        check=True,
    )
    published = time.monotonic() - t0
    env.extra.update(BENCH_NOOP_TASKS=str(tasks), BENCH_NOOP_STAMPS=str(stamps))
    server = stack.start(name, [sys.executable, "-m", "bench.pipeline.noop", "worker"])
    deadline = time.monotonic() + 300
    lines: list[dict[str, float]] = []
    while not any(line["n"] == tasks for line in lines):
        if time.monotonic() > deadline or server.proc.poll() is not None:
            raise RuntimeError(f"no-op worker did not finish {tasks} tasks; see {server.log}")
        time.sleep(0.2)
        if stamps.exists():
            lines = [json.loads(x) for x in stamps.read_text().splitlines() if x.strip()]
    stack.stop(name)
    for key in ("BENCH_NOOP_TASKS", "BENCH_NOOP_STAMPS"):
        env.extra.pop(key)
    first, last = sorted((x for x in lines if x["n"] > 1), key=lambda x: x["n"])
    count = int(last["n"] - first["n"])
    rate = Rate(count, last["t"] - first["t"])
    stalled = measure.stalls(server.log, first["t"], last["t"])
    return Noop(tasks, rate, (last["cpu"] - first["cpu"]) / count, published, stalled)


def intake(report: Report, stack: Stack, urls: dict[str, str], people: drive.Cast) -> None:
    """Registration's part of every dossier, with evaluation's worker stopped."""
    a = report.args
    stack.stop("evaluation-worker")
    mark(report, stack, "intake")
    t0 = time.time()

    def work(client: drive.Client, index: int, _item: int) -> str:
        applicant, producer_id = people.applicants[index]
        return drive.file_dossier(client, people, applicant, producer_id)

    report.dossiers = drive.run_threads(
        a.clients, list(range(a.dossiers)), urls, report.timings, work
    )
    report.windows["intake"] = (t0, time.time())


def drain(report: Report, stack: Stack, dbs: Databases, broker_url: str) -> None:
    """Evaluation's worker started on the backlog intake left in its queue, alone."""
    # Everything else settles first: relays publish, the other workers and the emails catch up.
    queue = topology.events_queue("evaluation").name
    if measure.wait_quiet(dbs, broker_url, ignore=(queue,), timeout=600).timed_out:
        report.unfinished.append("intake: the other workers did not catch up")
    report.backlog = measure.queue_depths(broker_url).get(queue, 0)
    mark(report, stack, "drain")
    # The worker drains alone, as the no-op worker does: its relay waits, so what the drain
    # causes downstream (registration's and notification's workers, the emails) does not share
    # the two cores and the broker with it. The outbox goes out once the backlog is handled.
    stack.stop("evaluation-relay")
    worker = stack.worker("evaluation", "evaluation-worker-2")
    expected = len(INTAKE_EVENTS) * len(report.dossiers)
    t0 = time.time()
    stop = threading.Event()

    def sample_cpu() -> None:  # every 0.1 s, for the CPU of the steady window
        while not stop.wait(0.1):
            report.drain_cpu.append((time.time(), worker.cpu_seconds()))

    sampler = threading.Thread(target=sample_cpu, daemon=True)
    sampler.start()
    deadline = time.monotonic() + 900
    try:
        while _intake_handled(dbs) < expected and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        stop.set()
        sampler.join()
    report.windows["drain"] = (t0, time.time())
    if _intake_handled(dbs) < expected:
        report.unfinished.append(f"drain: {_intake_handled(dbs)} of {expected} intake events")
    stack.relay("evaluation", "evaluation-relay-2")
    if measure.wait_quiet(dbs, broker_url, timeout=600).timed_out:
        report.unfinished.append("drain: what it caused downstream did not settle")


def _intake_handled(dbs: Databases) -> int:
    from sqlalchemy import func, select

    c = measure.MODELS["evaluation"].inbox.c
    with dbs.engines["evaluation"].connect() as conn:
        query = select(func.count()).where(c.type.in_(INTAKE_EVENTS))
        return int(conn.execute(query).scalar_one())


def evaluation(
    report: Report,
    stack: Stack,
    dbs: Databases,
    broker_url: str,
    urls: dict[str, str],
    people: drive.Cast,
) -> None:
    """Every dossier through the commune review, both councils and the decision."""
    a = report.args
    mark(report, stack, "evaluation")
    answers = drive.Answers.build()
    t0 = time.time()

    def work(client: drive.Client, _index: int, dossier_id: str) -> str:
        drive.evaluate(client, people, answers, dossier_id)
        return dossier_id

    done = drive.run_threads(a.clients, report.dossiers, urls, report.timings, work)
    driven = time.time()
    certificates = len(done)

    def all_issued() -> bool:
        return _issued_handled(dbs) >= certificates

    quiet = measure.wait_quiet(dbs, broker_url, done=all_issued, timeout=1800)
    report.windows["evaluation"] = (t0, quiet.seconds)
    report.windows["evaluation-driven"] = (t0, driven)
    if quiet.timed_out:
        report.unfinished.append(
            f"evaluation: {_issued_handled(dbs)} of {certificates} certificates reached "
            "registration"
        )


def _issued_handled(dbs: Databases) -> int:
    from sqlalchemy import func, select

    c = measure.MODELS["registration"].inbox.c
    with dbs.engines["registration"].connect() as conn:
        query = select(func.count()).where(c.type == "certificate.issued")
        return int(conn.execute(query).scalar_one())


def drain_stamps(r: Report) -> list[float]:
    """When evaluation's worker handled each intake event of the drain, in order."""
    d0, d1 = r.windows["drain"]
    return sorted(
        h.handled_at
        for h in measure.window(r.handled, "handled_at", d0, d1)
        if h.service == "evaluation" and h.type in INTAKE_EVENTS
    )


def read_stalls(report: Report, stack: Stack) -> None:
    """From the workers' logs, before the data dir goes."""
    for name, server in stack.procs.items():
        if name.endswith(("-worker", "-worker-2")) and not name.startswith("noop"):
            report.worker_stalls[name] = measure.event_stalls(server.log, report.published)
            report.worker_busy[name] = measure.busy(server.log)
    stamps = drain_stamps(report)
    if len(stamps) > 1:
        log = stack.procs["evaluation-worker-2"].log
        report.drain_stalls = measure.stalls(log, stamps[0], stamps[-1])


def run(report: Report) -> None:
    a = report.args
    with pipeline_env(a.mode, pg_url=a.pg_url, broker_url=a.broker_url, keep=a.keep) as env:
        port = ports()
        urls = {s: f"http://127.0.0.1:{port[s]}" for s in ("registration", "evaluation")}
        env.extra["OCOP_REGISTRATION_URL"] = urls["registration"]
        env.extra["OCOP_JWKS_URL"] = f"{urls['registration']}/.well-known/jwks.json"
        env.extra["OCOP_SMTP_HOST"] = "127.0.0.1"
        env.extra["OCOP_SMTP_PORT"] = str(port["smtp"])
        print(f"data dir {env.data_dir}; broker {env.broker_url}", flush=True)
        ocop(env, "migrate")
        ocop(env, "seed")
        stack = report.stack = Stack(env)
        dbs = Databases(env.database_urls)
        try:
            print("starting the stack ...", flush=True)
            start_stack(stack, port, a.workers)
            mark(report, stack, "setup")
            people = drive.cast(urls, a.clients)
            measure.wait_quiet(dbs, env.broker_url, timeout=120)
            mark(report, stack, "idle")
            time.sleep(IDLE_SECONDS)
            print(f"no-op ceiling ({a.noop_tasks} tasks) ...", flush=True)
            mark(report, stack, "noop")
            report.noops.append(run_noop(stack, env, a.noop_tasks, "noop-worker-1"))
            print("raw SMTP ceiling ...", flush=True)
            report.mail.ceiling = mail.smtp_ceiling(port["smtp"])
            print(f"intake of {a.dossiers} dossiers (evaluation worker stopped) ...", flush=True)
            mail.stop_sender(stack)
            intake(report, stack, urls, people)
            print("the sender on the intake's emails ...", flush=True)
            mail.drain_sender(report.mail, stack, dbs, env.broker_url)
            print(f"drain of evaluation's backlog ({len(report.dossiers)} dossiers) ...")
            drain(report, stack, dbs, env.broker_url)
            stack.check_alive()
            print("evaluation: commune, district, province, decision ...", flush=True)
            evaluation(report, stack, dbs, env.broker_url, urls, people)
            stack.check_alive()
            print("no-op ceiling again ...", flush=True)
            mark(report, stack, "noop-2")
            report.noops.append(run_noop(stack, env, a.noop_tasks, "noop-worker-2"))
            mark(report, stack, "end")
            report.published = dbs.published()
            report.handled = dbs.handled()
            report.emails = measure.emails(dbs)
            mail.collect(report.mail, dbs)
            read_stalls(report, stack)
        finally:
            dbs.close()
            stack.stop_all()


# --- the report -----------------------------------------------------------------------------


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


ROW = "{:<60} {:>11} {:>10} {:>6} {:>7}  {}"


def noop_rate(r: Report) -> float:
    rates = [n.rate.per_second for n in r.noops]
    return sum(rates) / len(rates) if rates else 0.0


def _row(label: str, product: str = "", noop: str = "", ratio: str = "", target: str = "") -> None:
    print(ROW.format(label, product, noop, ratio, target, ""))


def _judged(label: str, product: float, ceiling: float, *, judge: bool = True) -> None:
    ratio = product / ceiling if ceiling else 0.0
    target, result = (f"≥ {RATIO_TARGET}", verdict(ratio >= RATIO_TARGET)) if judge else ("", "")
    print(ROW.format(label, f"{product:.1f}/s", f"{ceiling:.1f}/s", f"{ratio:.2f}", target, result))


def print_pipeline_rate(r: Report, ceiling: float) -> None:
    """Events handled while the clients drive the evaluation phase, until all is handled."""
    t0, t1 = r.windows["evaluation"]
    in_window = measure.window(r.handled, "handled_at", t0, t1)
    end = max((h.handled_at for h in in_window), default=t1)
    pipeline = Rate(len(in_window), end - t0)
    # Paced by the clients' requests, not by what the workers can take: shown, not judged
    # (the drain below is the capacity figure).
    _judged(
        "events handled /s, all services, paced by the clients",
        pipeline.per_second,
        ceiling,
        judge=False,
    )
    counts = {s: sum(1 for h in in_window if h.service == s) for s in SERVICES}
    parts = ", ".join(
        f"{s} {Rate(c, pipeline.seconds).per_second:.1f}/s" for s, c in counts.items()
    )
    _row(f"  {len(in_window)} events in {pipeline.seconds:.1f} s: {parts}")
    published = measure.window(r.published, "published_at", t0, t1)
    deliveries = sum(len(measure.subscribers(p.type)) for p in published)
    _row(
        f"  messages consumed, with those no handler wants ({deliveries})",
        f"{deliveries / (t1 - t0):.1f}/s",
        "",
        f"{deliveries / (t1 - t0) / ceiling:.2f}" if ceiling else "",
    )


def _cpu_at(samples: list[tuple[float, float]], at: float) -> float:
    return min(samples, key=lambda s: abs(s[0] - at))[1] if samples else 0.0


def print_drain_rate(r: Report, ceiling: float) -> None:
    """The evaluation worker alone on the backlog the intake left in its queue."""
    stamps = drain_stamps(r)
    drained = measure.steady_rate(stamps)
    _judged("events handled /s, evaluation worker on its backlog", drained.per_second, ceiling)
    if r.drain_stalls is not None:
        _row(f"  {r.drain_stalls}")
    if len(stamps) > 1:
        whole = r.backlog / (stamps[-1] - stamps[0])
        _row(f"  messages consumed, the whole backlog of {r.backlog}", f"≈{whole:.1f}/s")
    if drained.count:
        first = stamps[len(stamps) // 10]
        cpu = _cpu_at(r.drain_cpu, stamps[-1]) - _cpu_at(r.drain_cpu, first)
        per_event = cpu / drained.count
        per_task = sum(x.cpu_per_task for x in r.noops) / max(len(r.noops), 1)
        _row(
            "  worker CPU ms per handled event / per no-op task",
            f"{per_event * 1000:.2f}",
            f"{per_task * 1000:.2f}",
            f"{per_task / per_event:.2f}" if per_event else "",
        )


def print_rates(r: Report) -> None:
    ceiling = noop_rate(r)
    print(ROW.format("figure", "product", "no-op", "ratio", "target", "result"))
    print_pipeline_rate(r, ceiling)
    print_drain_rate(r, ceiling)
    for service in ("registration", "evaluation"):
        rates = measure.relay_rates(r.published, service)
        if rates:
            _row(
                f"  {service} relay: rows /s over full batches ({len(rates)}), median / min",
                f"{percentile(rates, 50):.0f}/s",
                f"{min(rates):.0f}/s",
            )
    for i, x in enumerate(r.noops, 1):
        unstalled = x.rate.count / max(x.rate.seconds - x.stalls.seconds, 1e-9)
        print(
            f"  no-op run {i} ({'before' if i == 1 else 'after'} the pipeline): "
            f"{x.rate.per_second:.0f}/s over {x.rate.count} tasks; {x.stalls}"
            + (f" ({unstalled:.0f}/s without them)" if x.stalls.count else "")
        )
    pubs = ", ".join(f"{x.tasks / x.publish_seconds:.0f}/s" for x in r.noops)
    print(f"  no-op publisher (one process, start-up included, the stack idle): {pubs}")
    sizes = [p.size for p in r.published]
    if sizes:
        mean = sum(sizes) / len(sizes)
        print(f"  product envelope mean {mean:.0f} B; no-op message body ~1.6 kB")


LROW = "{:<44} {:>6} {:>7} {:>7} {:>7} {:>7} {:>7}  {}"
STEPS = ("finalise-district", "decide", "propose", "assign-district", "assign-province")
ALL = "all five status-changing requests"
JUDGED = ("finalise-district", ALL)


def _latency_row(name: str, values: list[float | None], target: float | None) -> bool:
    p = Percentiles.of(values)
    ok = p.p99 < target and not p.missing if target is not None else True
    print(
        LROW.format(
            name,
            p.count,
            p.missing,
            f"{p.p50 * 1000:.0f}",
            f"{p.p90 * 1000:.0f}",
            f"{p.p99 * 1000:.0f}",
            f"{p.max * 1000:.0f}",
            verdict(ok) if target is not None else "",
        )
    )
    return ok


def print_latency(r: Report) -> bool:
    mode = r.args.mode
    target = P99_TARGET_S[mode]
    samples = measure.samples(r.timings.expects, r.published, r.handled, r.emails)
    groups = [(step, [s for s in samples if s.expect.step == step]) for step in STEPS]
    groups.append((ALL, samples))
    print(
        "\nrequest response → new public status in registration (its worker handled the "
        f"request's event), ms; target p99 < {target * 1000:.0f} ms ({mode})"
    )
    print(LROW.format("request", "n", "missing", "p50", "p90", "p99", "max", "result"))
    ok = True
    for name, group in groups:
        ok &= _latency_row(name, [s.total for s in group], target if name in JUDGED else None)
    print("  where the time goes (all five):")
    _latency_row("    event written → handled by registration", [s.lag for s in samples], None)
    _latency_row("    event written → its relay batch published", [s.batch for s in samples], None)
    if r.emails is None:
        print("\n(no deliveries table in the notification database: emails not measured)")
        return ok
    print("\nrequest response → the last email of its event accepted by the SMTP sink, ms")
    print(LROW.format("request", "n", "missing", "p50", "p90", "p99", "max", ""))
    for name, group in groups:
        _latency_row(name, [s.last_email for s in group if s.emails or s.event is None], None)
    print("  where the time goes (all five):")
    mailed = [s for s in samples if s.emails]
    _latency_row(
        "    event written → handled by notification", [s.to_notification for s in mailed], None
    )
    _latency_row("    handled → its last email sent", [s.sending for s in mailed], None)
    return ok


def print_stalls(r: Report) -> None:
    """The product workers' stalls over the whole run (see measure.event_stalls)."""
    print(
        f"\nworker stalls: idle ≥ {measure.STALL_GAP:g} s while an event it then received was "
        "already published (from the workers' logs: relays publish with task id = event id)"
    )
    for name, (count, stalled) in r.worker_stalls.items():
        print(f"  {name:<22} {count:>7} tasks received; {stalled}")
        for task, (n, seconds) in sorted(r.worker_busy.get(name, {}).items()):
            print(
                f"  {'':<22} {n:>7} × {task}: {seconds:.1f} s in them "
                f"({1000 * seconds / n:.1f} ms each, wall time)"
            )


def print_phases(r: Report) -> None:
    """Wall time, machine CPU and each process's CPU per phase."""
    names = sorted({n for m in r.marks for n in m.cpu})
    print("\nphases: wall s, machine CPU busy (% of all cores), CPU s per process")
    print("  " + f"{'process':<22}" + "".join(f"{m.phase:>12}" for m in r.marks[:-1]))
    walls, busy = [], []
    for m0, m1 in itertools.pairwise(r.marks):
        walls.append(f"{m1.at - m0.at:12.1f}")
        b = (m1.machine[0] - m0.machine[0]) / max(m1.machine[1] - m0.machine[1], 1)
        busy.append(f"{100 * b:11.0f}%")
    print("  " + f"{'wall s':<22}" + "".join(walls))
    print("  " + f"{'machine busy':<22}" + "".join(busy))
    for name in names:
        cells = []
        for m0, m1 in itertools.pairwise(r.marks):
            if name in m0.cpu and name in m1.cpu:
                cells.append(f"{m1.cpu[name] - m0.cpu[name]:12.1f}")
            else:
                cells.append(f"{'-':>12}")
        print("  " + f"{name:<22}" + "".join(cells))


def print_requests(r: Report) -> None:
    print("\nrequests by route (all phases): count, p50 / p99 ms")
    rows = sorted(r.timings.requests.items(), key=lambda kv: -sum(kv[1]))
    for route, values in rows:
        print(
            f"  {route:<66} {len(values):>7} {percentile(values, 50) * 1000:8.1f} "
            f"{percentile(values, 99) * 1000:8.1f}"
        )


def print_rss(r: Report) -> None:
    assert r.stack is not None
    samplers = r.stack.samplers
    phases = [m.phase for m in r.marks[:-1]]
    print(f"\npeak RSS per process and phase, MB (web processes: reference {RSS_TARGET_MB:g} MB)")
    print(
        "  " + f"{'process':<30}" + "".join(f"{p:>11}" for p in ["boot", *phases]) + "       peak"
    )
    total = 0.0
    for name, sampler in samplers.items():
        for pid, per_phase in sorted(sampler.peak.items()):
            peak = max(per_phase.values())
            total += peak if not name.startswith("noop") else 0.0
            cells = "".join(
                f"{per_phase[p]:11.1f}" if p in per_phase else f"{'-':>11}"
                for p in ["boot", *phases]
            )
            label = f"{name} {sampler.roles[pid]}" if name.endswith("-web") else name
            judged = f"  {verdict(peak < RSS_TARGET_MB)}" if name.endswith("-web") else ""
            print(f"  {label:<30}{cells}{peak:11.1f}{judged}")
    print(f"  sum of the product processes' peaks: {total:.0f} MB (an upper bound of the stack's)")


def print_report(r: Report) -> bool:
    a = r.args
    print("\n" + "=" * 100)
    d = len(r.dossiers)
    print(
        f"B2 pipeline — mode {a.mode}: {d} of {a.dossiers} dossiers filed, {a.workers} gunicorn "
        f"worker(s) per web, {a.clients} client threads, {os.cpu_count()} cores; "
        f"run took {time.monotonic() - r.started:.0f} s"
    )
    print(f"load average at start / end: {r.load_start} / {r.load_end}")
    if "intake" in r.windows:
        t0, t1 = r.windows["intake"]
        print(
            f"intake: {d} dossiers filed+uploaded+submitted+accepted in {t1 - t0:.1f} s "
            f"({d / (t1 - t0):.1f}/s)"
        )
    if "evaluation-driven" in r.windows:
        t0, t1 = r.windows["evaluation-driven"]
        _, e1 = r.windows["evaluation"]
        print(
            f"evaluation: driven in {t1 - t0:.1f} s ({d / (t1 - t0):.2f} dossiers/s), quiet "
            f"{e1 - t1:.1f} s later"
        )
    print("=" * 100)
    ok = True
    if r.noops and "evaluation" in r.windows:
        print_rates(r)
        ok &= print_latency(r) or True  # a latency FAIL is a result, not a failed run
        window = r.windows.get("evaluation")
        ok &= mail.print_report(r.mail, a.mode, r.timings.expects, r.published, window) or True
        print_stalls(r)
        print_phases(r)
        print_requests(r)
    if r.stack is not None:
        print_rss(r)
    if r.timings.errors:
        ok = False
        print(f"\n!!! {len(r.timings.errors)} dossiers stopped on a failed request; first:")
        for line in r.timings.errors[:5]:
            print(f"!!!   {line}")
    for line in [*r.unfinished, *r.mail.unfinished]:
        ok = False
        print(f"\n!!! not finished: {line}")
    print("=" * 100)
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="bench.pipeline.run",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--mode", choices=("embedded", "servers"), default="embedded")
    parser.add_argument("--dossiers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="gunicorn workers per web")
    parser.add_argument("--clients", type=int, default=4, help="client threads")
    parser.add_argument("--noop-tasks", type=int, default=3000, help="no-op tasks per ceiling run")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL))
    parser.add_argument("--broker-url", default=os.environ.get("BENCH_BROKER_URL", BROKER_URL))
    parser.add_argument("--keep", action="store_true", help="keep the data dir (logs)")
    args = parser.parse_args(argv)

    def terminate(signum: int, _frame: Any) -> NoReturn:
        raise KeyboardInterrupt(f"signal {signum}")

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, terminate)
    report = Report(args)
    try:
        run(report)
        report.load_end = loadavg()
    except KeyboardInterrupt:
        print("\ninterrupted; processes stopped", file=sys.stderr)
        return 130
    except Exception as exc:
        print_report(report)
        print(f"\n!!! the run failed: {exc!r}", file=sys.stderr)
        raise
    return 0 if print_report(report) else 1


if __name__ == "__main__":
    sys.exit(main())
