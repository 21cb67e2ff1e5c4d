"""B-portal: server time of the portal's pages (p50/p95) with ``--seed`` dossiers in the
registration database, beside the API calls behind them measured directly (the ceiling: a page
cannot be served faster than the calls it makes).

    .venv/bin/python -m bench.portal.run --mode embedded|servers [--seed 100000]
        [--requests 100] [--workers 2] [--keep]

Server time is the portal's own ``Server-Timing: app;dur=`` (request in, page out, API calls
included); client time is the wall clock around each request. Target: every page p95 < 200 ms.
Prints a report and exits 0; nonzero only if the run itself failed.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests

from bench.intake import seed
from bench.intake.load import percentile
from bench.intake.procs import BROKER_URL, PG_URL, free_port
from bench.pipeline.stack import Stack, ocop_argv, pipeline_env
from shared.db import make_engine

TARGET_P95_MS = 200.0
PASSWORD = "ocop-demo-2026"


@dataclass
class Timings:
    server_ms: list[float] = field(default_factory=list)
    client_ms: list[float] = field(default_factory=list)


def _timed(get: Callable[[], requests.Response], into: Timings) -> None:
    started = time.perf_counter()
    resp = get()
    into.client_ms.append((time.perf_counter() - started) * 1000)
    if resp.status_code != 200:
        raise RuntimeError(f"{resp.url}: {resp.status_code} {resp.text[:300]}")
    found = re.search(r"app;dur=([0-9.]+)", resp.headers.get("Server-Timing", ""))
    if found:
        into.server_ms.append(float(found.group(1)))


def portal_session(portal: str, email: str) -> requests.Session:
    """Signed in through the portal's own form (CSRF token included)."""
    session = requests.Session()
    page = session.get(f"{portal}/signin").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "no sign-in form"
    resp = session.post(
        f"{portal}/signin",
        data={"csrf_token": token.group(1), "email": email, "password": PASSWORD},
        allow_redirects=False,
    )
    if resp.status_code != 302:
        raise RuntimeError(f"sign-in of {email} refused: {resp.status_code}")
    return session


def api_token(registration: str, email: str) -> str:
    resp = requests.post(
        f"{registration}/api/v1/auth/token", json={"email": email, "password": PASSWORD}
    )
    resp.raise_for_status()
    return resp.json()["access_token"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mode", choices=["embedded", "servers"], default="embedded")
    parser.add_argument("--seed", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=100, help="per page")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pg-url", default=PG_URL)
    parser.add_argument("--broker-url", default=BROKER_URL)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)

    with pipeline_env(
        args.mode, pg_url=args.pg_url, broker_url=args.broker_url, keep=args.keep
    ) as env:
        # requests keeps a Secure cookie for https only; the bench talks plain HTTP.
        env.extra.update(OCOP_TOKEN_TTL_SECONDS="7200", OCOP_PORTAL_SECURE_COOKIE="0")
        for step in (("migrate",), ("seed",)):
            subprocess.run(ocop_argv(*step), env=env.variables(), check=True, capture_output=True)
        started = time.perf_counter()
        summary = seed.seed(make_engine(env.database_urls["registration"]), args.seed)
        print(f"seeded {args.seed} dossiers in {time.perf_counter() - started:.0f} s")
        stack = Stack(env)
        try:
            urls = {}
            for service in ("registration", "evaluation", "portal"):
                port = free_port()
                urls[service] = f"http://127.0.0.1:{port}"
                env.extra[f"OCOP_{service.upper()}_URL"] = urls[service]
                if service == "registration":
                    env.extra["OCOP_JWKS_URL"] = f"{urls[service]}/.well-known/jwks.json"
                stack.web(service, port, args.workers).wait_ready()
            return report(urls, summary.sample_applicant, args.requests)
        finally:
            stack.stop_all()


def report(urls: dict[str, str], applicant: str, n: int) -> int:
    portal, registration, evaluation = urls["portal"], urls["registration"], urls["evaluation"]
    people = {
        "officer": "xa.dongha@ocop.local",
        "auditor": "thanhtra@ocop.local",
        "applicant": applicant,
    }
    sessions = {who: portal_session(portal, email) for who, email in people.items()}
    tokens = {who: api_token(registration, email) for who, email in people.items()}

    def api(who: str, base: str, path: str) -> Callable[[], requests.Response]:
        headers = {"Authorization": f"Bearer {tokens[who]}"}
        return lambda: requests.get(base + path, headers=headers, timeout=30)

    dossier = requests.get(
        f"{registration}/api/v1/dossiers?limit=1",
        headers={"Authorization": f"Bearer {tokens['applicant']}"},
        timeout=30,
    ).json()["items"][0]["id"]
    public = requests.Session()
    pages: dict[str, tuple[Callable[[], requests.Response], Callable[[], requests.Response]]] = {
        "sign-in page": (
            lambda: public.get(f"{portal}/signin"),
            lambda: public.get(f"{portal}/healthz"),
        ),
        "officer home": (
            lambda: sessions["officer"].get(f"{portal}/"),
            api("officer", registration, "/api/v1/dossiers?status=submitted&limit=100"),
        ),
        "auditor home": (
            lambda: sessions["auditor"].get(f"{portal}/"),
            api("auditor", evaluation, "/api/v1/cases"),
        ),
        "applicant home": (
            lambda: sessions["applicant"].get(f"{portal}/"),
            api("applicant", registration, "/api/v1/dossiers?limit=100"),
        ),
        "dossier page": (
            lambda: sessions["applicant"].get(f"{portal}/dossiers/{dossier}"),
            api("applicant", registration, f"/api/v1/dossiers/{dossier}"),
        ),
        "self-assessment": (
            lambda: sessions["applicant"].get(f"{portal}/dossiers/{dossier}/assessment"),
            api("applicant", registration, f"/api/v1/dossiers/{dossier}"),
        ),
        "auditor dashboard": (
            lambda: sessions["auditor"].get(f"{portal}/dashboard/"),
            api("auditor", evaluation, "/api/v1/statistics"),
        ),
        "certificate check": (
            lambda: public.get(f"{portal}/certificates/check?number=OCOP-45-2026-99999"),
            lambda: public.get(f"{evaluation}/api/v1/certificates/OCOP-45-2026-99999"),
        ),
    }
    page_times = {name: Timings() for name in pages}
    api_times = {name: Timings() for name in pages}
    for _ in range(n):  # pages in turn, so background load weighs on all alike
        for name, (page, ceiling) in pages.items():
            _timed(page, page_times[name])
            started = time.perf_counter()
            ceiling()
            api_times[name].client_ms.append((time.perf_counter() - started) * 1000)

    print(f"\n{n} requests per page; target: server p95 < {TARGET_P95_MS:.0f} ms\n")
    print(f"{'page':<18} {'server p50':>10} {'p95':>8} {'client p95':>11} {'API p95':>8} ratio")
    failed = False
    for name in pages:
        server, client = page_times[name].server_ms, page_times[name].client_ms
        ceiling = percentile(api_times[name].client_ms, 95)
        p95 = percentile(server, 95)
        failed |= p95 >= TARGET_P95_MS
        print(
            f"{name:<18} {percentile(server, 50):>8.1f}ms {p95:>6.1f}ms "
            f"{percentile(client, 95):>9.1f}ms {ceiling:>6.1f}ms {p95 / ceiling:>5.1f}x "
            f"{'PASS' if p95 < TARGET_P95_MS else 'FAIL'}"
        )
    print("\nratio: the page's server p95 over the p95 of its main API call alone")
    print("FAIL: a page is over target" if failed else "PASS: every page under target")
    return 0


if __name__ == "__main__":
    sys.exit(main())
