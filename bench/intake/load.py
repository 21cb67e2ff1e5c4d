"""Closed-loop HTTP load: N client threads, one ``requests.Session`` each, for a fixed time."""

from __future__ import annotations

import statistics
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

# One unit of work on a session: returns the per-request latencies (s), or raises HttpError.
Op = Callable[[requests.Session], list[float]]


class HttpError(Exception):
    def __init__(self, what: str, resp: requests.Response) -> None:
        super().__init__(f"{what}: HTTP {resp.status_code} {resp.text[:300]}")
        self.key = f"{what} {resp.status_code}"


def expect(resp: requests.Response, status: int, what: str) -> Any:
    if resp.status_code != status:
        raise HttpError(what, resp)
    return resp.json()


@dataclass
class LoadResult:
    seconds: float
    completed: int
    errors: Counter[str] = field(default_factory=Counter)
    first_errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # every successful request
    client_cpu_seconds: float = 0.0
    server_cpu_seconds: float = 0.0

    @classmethod
    def merge(cls, runs: list[LoadResult]) -> LoadResult:
        merged = cls(seconds=0.0, completed=0)
        for run in runs:
            merged.seconds += run.seconds
            merged.completed += run.completed
            merged.errors.update(run.errors)
            merged.first_errors.extend(run.first_errors[: 5 - len(merged.first_errors)])
            merged.latencies.extend(run.latencies)
            merged.client_cpu_seconds += run.client_cpu_seconds
            merged.server_cpu_seconds += run.server_cpu_seconds
        return merged

    @property
    def per_second(self) -> float:
        return self.completed / self.seconds if self.seconds else 0.0

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(pct / 100 * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def run_load(
    op: Op, *, clients: int, seconds: float, warmup: float, server_cpu: Callable[[], float]
) -> LoadResult:
    """Drive ``op`` from ``clients`` threads; only units finished after the warm-up count."""
    start_at = threading.Barrier(clients + 1)
    stop = threading.Event()
    measuring = threading.Event()
    lock = threading.Lock()
    result = LoadResult(seconds=seconds, completed=0)

    def client() -> None:
        session = requests.Session()
        start_at.wait()
        while not stop.is_set():
            try:
                latencies = op(session)
            except HttpError as exc:
                with lock:
                    result.errors[exc.key] += 1
                    if len(result.first_errors) < 5:
                        result.first_errors.append(str(exc))
                continue
            except requests.RequestException as exc:
                with lock:
                    result.errors[type(exc).__name__] += 1
                    if len(result.first_errors) < 5:
                        result.first_errors.append(repr(exc))
                continue
            if measuring.is_set() and not stop.is_set():
                with lock:
                    result.completed += 1
                    result.latencies.extend(latencies)
        session.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    try:
        start_at.wait()
        time.sleep(warmup)
        with lock:
            result.errors.clear()  # warm-up errors still show in first_errors
        cpu0, srv0, t0 = time.process_time(), server_cpu(), time.perf_counter()
        measuring.set()
        time.sleep(seconds)
        stop.set()
        result.seconds = time.perf_counter() - t0
        result.client_cpu_seconds = time.process_time() - cpu0
        result.server_cpu_seconds = server_cpu() - srv0
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=70)
    return result


@dataclass
class Latency:
    name: str
    samples: list[float]
    items: int  # items on the measured page
    errors: int = 0

    def ms(self, pct: float) -> float:
        return percentile(self.samples, pct) * 1000

    @property
    def mean_ms(self) -> float:
        return statistics.fmean(self.samples) * 1000 if self.samples else 0.0


def measure_gets(
    session: requests.Session, scenarios: list[tuple[str, str, str]], *, rounds: int, warm: int = 5
) -> list[Latency]:
    """Sequential GETs from one client (no contention), the scenarios taken in turn each round so
    that other work on the machine weighs on all of them alike. Scenario: (name, url, token)."""
    results = [Latency(name, [], 0) for name, _, _ in scenarios]
    for i in range(warm + rounds):
        for (_, url, token), lat in zip(scenarios, results, strict=True):
            t0 = time.perf_counter()
            resp = session.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=60)
            elapsed = time.perf_counter() - t0
            if resp.status_code != 200:
                lat.errors += 1
            elif i >= warm:
                lat.samples.append(elapsed)
                if not lat.items:
                    lat.items = len(resp.json()["items"])
    return results
