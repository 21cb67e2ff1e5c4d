"""Reading what reached the broker: drain a queue and decode the event envelopes in it."""

from __future__ import annotations

import time
from typing import Any

from kombu import Connection

from shared.messaging import topology


def drain(
    broker_url: str, queue_name: str, *, expect: int | None = None, timeout: float = 10.0
) -> list[dict[str, Any]]:
    """Take every message off ``queue_name`` (waiting up to ``timeout`` for ``expect`` of them)
    and return the envelopes they carry."""
    envelopes: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    queue = next(q for q in topology.all_queues() if q.name == queue_name)
    with Connection(broker_url) as conn:
        simple = conn.SimpleQueue(queue)
        try:
            while True:
                try:
                    message = simple.get(block=True, timeout=0.2)
                except simple.Empty:
                    if expect is None or len(envelopes) >= expect or time.monotonic() > deadline:
                        break
                    continue
                # A Celery protocol-2 message: body is [args, kwargs, embed]; args[0] the envelope.
                body = message.decode()
                envelopes.append(body[0][0])
                message.ack()
        finally:
            simple.close()
    return envelopes
