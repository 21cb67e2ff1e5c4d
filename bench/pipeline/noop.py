"""The ceiling of B2: no-op Celery tasks on the product's broker, with the product's settings.

The app is the product's own (``shared.messaging.celery_app.make_celery`` with the settings the
environment gives, so the same transport options, prefetch, acks-late, persistent delivery and
embedded polling interval), with one queue of its own. The worker is started through
``ocop worker``'s own code (``services.cli.main``, with the service runtime swapped for this
app), so pool, flags and log level are exactly the product worker's.

    python -m bench.pipeline.noop publish K     # K messages into the queue, then exit
    python -m bench.pipeline.noop worker        # consume them with a no-op task

The worker writes JSON lines to ``$BENCH_NOOP_STAMPS`` at task 1, at task K/10 and at task K
(``$BENCH_NOOP_TASKS``): wall time and the process's CPU time, so the rate is measured between
the worker's own tasks, free of its start-up.
"""

from __future__ import annotations

import json
import os
import sys
import time
from types import SimpleNamespace
from typing import Any
from unittest import mock

from celery import Celery
from kombu import Queue

from shared import config
from shared.messaging.celery_app import make_celery

QUEUE = Queue("bench.noop", durable=True)
TASK = "bench.noop"

# About the size of a product event envelope (the report prints the product's own mean).
PAYLOAD = {
    "event_id": "00000000-0000-0000-0000-000000000000",
    "type": "bench.noop",
    "version": 1,
    "producer": "bench",
    "payload": {"filler": "x" * 1500},
}


def make_app() -> Celery:
    """The product's Celery app (as registration's settings build it), on the no-op queue."""
    app = make_celery(config.load("registration"))
    app.conf.task_queues = [QUEUE]
    app.conf.task_default_queue = QUEUE.name
    return app


def publish(count: int) -> None:
    app = make_app()
    with app.connection_for_write() as conn:
        QUEUE(conn.default_channel).declare()
        producer = app.amqp.Producer(conn, auto_declare=False)
        for i in range(count):
            app.send_task(
                TASK, args=[{**PAYLOAD, "n": i}], queue=QUEUE, producer=producer, retry=False
            )


def worker() -> None:
    app = make_app()
    expected = int(os.environ["BENCH_NOOP_TASKS"])
    marks = {1, max(1, expected // 10), expected}
    stamps = os.environ["BENCH_NOOP_STAMPS"]
    seen = [0]

    @app.task(name=TASK, acks_late=True, shared=False)
    def noop(_envelope: dict[str, Any]) -> None:
        seen[0] += 1
        if seen[0] in marks:
            with open(stamps, "a") as f:
                stamp = {"n": seen[0], "t": time.time(), "cpu": time.process_time()}
                f.write(json.dumps(stamp) + "\n")

    from services import cli

    with mock.patch.object(cli, "_runtime", lambda _service: SimpleNamespace(celery=app)):
        cli.main(["worker", "registration"])


def main(argv: list[str]) -> int:
    if argv[:1] == ["publish"]:
        publish(int(argv[1]))
    elif argv[:1] == ["worker"]:
        worker()
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
