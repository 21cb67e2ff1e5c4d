"""The portal's figures (requests and latency per page, like the services') are served by
gunicorn's master on OCOP_METRICS_PORT, summed over its workers, and not on the portal's own
public paths."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.stack import Stack, free_port

pytestmark = pytest.mark.e2e

PROCESSES = ("registration-web",)


def test_portal_figures_are_served_apart_from_its_pages(stack: Stack, tmp_path: Path) -> None:
    port = free_port()
    stack.env.update(PROMETHEUS_MULTIPROC_DIR=str(tmp_path), OCOP_METRICS_PORT=str(port))
    try:
        portal = stack.web("portal", workers=2)
    finally:
        for key in ("PROMETHEUS_MULTIPROC_DIR", "OCOP_METRICS_PORT"):
            stack.env.pop(key)
    for _ in range(6):  # over both workers
        assert requests.get(f"{portal}/signin", timeout=10).status_code == 200
    assert requests.get(f"{portal}/metrics", timeout=10).status_code == 404
    figures = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    counted = [
        float(value)
        for labels, value in re.findall(r"ocop_http_requests_total\{([^}]*)\} (\S+)", figures)
        if {'service="portal"', 'endpoint="/signin"', 'status="200"'} <= set(labels.split(","))
    ]
    assert counted == [6.0], figures[:2000]
