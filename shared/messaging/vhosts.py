"""Scratch RabbitMQ virtual hosts, so a test run or a benchmark shares no queue with anything
else on the same broker (two suites purging each other's queues made tests fail spuriously)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import quote, urlsplit, urlunsplit


def _rabbitmqctl(*args: str) -> bool:
    try:
        done = subprocess.run(["rabbitmqctl", *args], capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def with_vhost(broker_url: str, vhost: str) -> str:
    parts = urlsplit(broker_url)
    return urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))


def create(broker_url: str, prefix: str) -> str | None:
    """A fresh virtual host when ``rabbitmqctl`` works here (a local broker we may administer);
    None otherwise, and the caller uses ``broker_url`` as it is."""
    from kombu.utils.url import url_to_parts

    if not broker_url.startswith("amqp") or not shutil.which("rabbitmqctl"):
        return None
    user = url_to_parts(broker_url).username or "guest"
    vhost = f"{prefix}_{uuid.uuid4().hex[:8]}"
    if not _rabbitmqctl("add_vhost", vhost):
        return None
    if not _rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*"):
        _rabbitmqctl("delete_vhost", vhost)
        return None
    return vhost


def delete(vhost: str) -> None:
    _rabbitmqctl("delete_vhost", vhost)


@contextmanager
def scratch(broker_url: str, prefix: str) -> Iterator[str]:
    """The broker URL to use for the block: on a scratch vhost, deleted afterwards, if one can
    be made; else ``broker_url`` itself."""
    vhost = create(broker_url, prefix)
    try:
        yield with_vhost(broker_url, vhost) if vhost else broker_url
    finally:
        if vhost:
            delete(vhost)
