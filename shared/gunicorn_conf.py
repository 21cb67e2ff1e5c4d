"""gunicorn settings every web process shares (``ocop web`` passes this file).

With ``PROMETHEUS_MULTIPROC_DIR`` set, each gunicorn worker writes its figures there; the
master then serves all of them together on ``OCOP_METRICS_PORT`` when the deployment gives one
(the portal's way: its own paths are public, so its figures are served apart from them), and
forgets a worker's live gauges when it exits.
"""

from __future__ import annotations

import os
from typing import Any


def when_ready(server: Any) -> None:
    port = os.environ.get("OCOP_METRICS_PORT")
    if port and os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import CollectorRegistry, multiprocess, start_http_server

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        start_http_server(int(port), registry=registry)
        server.log.info("metrics of every worker on port %s", port)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
