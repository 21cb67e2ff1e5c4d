"""Docker HEALTHCHECK of the OCOP image: GET /healthz (or the path given) when it serves HTTP.

    python healthcheck.py [PATH]

One image runs every role (web, worker, relay, migrate, sink) and only the web role serves the
health endpoints, so the check looks at the container's processes: a gunicorn process means
GET http://127.0.0.1:<its --bind port><PATH>, healthy on a 2xx answer; a web role still in
boot.sh (waiting for dependencies, migrating) is unhealthy for now, which Docker does not count
during the start period; any other role is healthy while it runs (if it dies, so does the
container). Kubernetes does not use this: its probes call the endpoints directly.
"""

from __future__ import annotations

import sys
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path

SERVING, STARTING, OTHER = "serving", "starting", "other"


def command_lines(proc: Path = Path("/proc")) -> list[list[str]]:
    """The argv of every process visible in ``proc``."""
    lines = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "cmdline").read_bytes()
        except OSError:
            continue  # the process ended meanwhile, or is not ours to read
        if raw:
            lines.append(raw.rstrip(b"\0").decode(errors="replace").split("\0"))
    return lines


def bind_port(argv: list[str]) -> int | None:
    """The port of a gunicorn command line's ``--bind host:port`` (None if not gunicorn)."""
    if not any(Path(arg).name == "gunicorn" for arg in argv):
        return None
    for i, arg in enumerate(argv):
        if arg in ("--bind", "-b") and i + 1 < len(argv):
            return int(argv[i + 1].rsplit(":", 1)[1])
        if arg.startswith("--bind="):
            return int(arg.rsplit(":", 1)[1])
    return 8000  # gunicorn's own default


def _is_web_launcher(argv: list[str]) -> bool:
    return any(
        Path(arg).name in ("boot.sh", "ocop") and argv[i + 1 : i + 2] == ["web"]
        for i, arg in enumerate(argv)
    )


def classify(lines: Iterable[list[str]]) -> tuple[str, int | None]:
    """(SERVING, port) for gunicorn, (STARTING, None) for a web role still booting, else OTHER."""
    lines = list(lines)
    for argv in lines:
        port = bind_port(argv)
        if port is not None:
            return SERVING, port
    if any(_is_web_launcher(argv) for argv in lines):
        return STARTING, None
    return OTHER, None


def probe(url: str, timeout: float = 4.0) -> bool:
    """True when ``url`` answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError):
        return False


def main(argv: list[str] | None = None, lines: Iterable[list[str]] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    path = args[0] if args else "/healthz"
    state, port = classify(command_lines() if lines is None else lines)
    if state == SERVING:
        return 0 if probe(f"http://127.0.0.1:{port}{path}") else 1
    return 1 if state == STARTING else 0


if __name__ == "__main__":
    sys.exit(main())
