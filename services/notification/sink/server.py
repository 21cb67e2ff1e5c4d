"""The SMTP side of the sink: a real SMTP server (aiosmtpd) that stores what it receives.

It accepts any sender and any recipient, relays nothing, and answers
``250 Message accepted for delivery`` once the message is on disk. A :class:`FaultPlan` can
script failures instead (see ``faults.py``).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from shared.config import data_dir

from .faults import FaultPlan
from .store import MailStore, StoredMessage

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8025
ACCEPTED = "250 Message accepted for delivery"
LOCAL_ERROR = "451 Requested action aborted: local error in processing"
# Given to aiosmtpd explicitly: its default, socket.getfqdn(), can stall on DNS in containers.
SERVER_HOSTNAME = "ocop-smtp-sink"


def default_directory() -> Path:
    """``<data dir>/mail``: where the embedded run mode keeps what the sink received."""
    return data_dir() / "mail"


class SinkHandler:
    """aiosmtpd handler: store every message, unless the fault plan says otherwise."""

    def __init__(
        self,
        store: MailStore,
        faults: FaultPlan | None = None,
        on_stored: Callable[[StoredMessage], None] | None = None,
    ) -> None:
        self.store = store
        self.faults = faults
        self.on_stored = on_stored

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        recipients = list(envelope.rcpt_tos)
        fault = self.faults.take(recipients) if self.faults is not None else None
        if fault is not None and fault.reply is not None:
            log.info("fault plan answers %r for mail to %s", fault.reply, recipients)
            if fault.reply.startswith("421"):
                # RFC 5321 §3.8: a 421 reply means the server is closing the channel. Scheduled,
                # not immediate, so aiosmtpd still writes the reply before the close runs.
                _close_soon(server)
            return fault.reply

        assert isinstance(envelope.original_content, bytes)  # the exact bytes after DATA
        try:
            stored = self.store.save(
                envelope.original_content, envelope.mail_from or "", recipients
            )
        except OSError:
            # Transient by nature (disk full, permissions fixed later): let the client retry.
            log.exception("could not store a message to %s", recipients)
            return LOCAL_ERROR
        log.info("stored %s from %s to %s", stored.name, stored.mail_from, recipients)
        if self.on_stored is not None:
            self.on_stored(stored)

        if fault is not None and fault.drop:
            log.info("fault plan drops the connection after storing %s", stored.name)
            # Abort the connection now: aiosmtpd's reply then goes to a closed transport, which
            # discards it, so the client sees the connection vanish instead of an answer.
            assert isinstance(server.transport, asyncio.Transport), "a connected session"
            server.transport.abort()
        return ACCEPTED


def _check_bindable(host: str, port: int) -> None:
    # aiosmtpd reports a failed bind only after its whole ready timeout (5 s); probing first
    # turns the common "port already taken" into an immediate, explicit error.
    try:
        socket.create_server((host, port)).close()
    except OSError as error:
        raise OSError(
            error.errno, f"SMTP sink cannot listen on {host}:{port}: {error.strerror}"
        ) from error


def _close_soon(server: SMTP) -> None:
    transport = server.transport
    if transport is not None:
        asyncio.get_running_loop().call_soon(transport.close)


class SmtpSink:
    """An SMTP sink on ``host:port`` storing messages in ``directory`` (default: data dir/mail).

    ``start()``/``stop()``, or use it as a context manager. The server runs in a background
    thread, so tests can send to it with ``smtplib`` from the main thread.
    """

    def __init__(
        self,
        host: str = DEFAULT_HOST,
        port: int = DEFAULT_PORT,
        directory: Path | str | None = None,
        *,
        faults: FaultPlan | None = None,
        on_stored: Callable[[StoredMessage], None] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.store = MailStore(default_directory() if directory is None else directory)
        self.handler = SinkHandler(self.store, faults, on_stored)
        self._controller: Controller | None = None

    @property
    def faults(self) -> FaultPlan | None:
        return self.handler.faults

    @faults.setter
    def faults(self, plan: FaultPlan | None) -> None:
        self.handler.faults = plan

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            raise RuntimeError("SMTP sink already running")
        _check_bindable(self.host, self.port)
        controller = Controller(
            self.handler,
            hostname=self.host,
            port=self.port,
            server_hostname=SERVER_HOSTNAME,
            ident="OCOP SMTP sink",
        )
        try:
            controller.start()  # returns once the server answers greetings
        except BaseException:
            # aiosmtpd leaves its private event loop open when start fails (e.g. port taken);
            # close it here rather than leak a loop and its self-pipe sockets.
            controller.stop(no_assert=True)
            controller.loop.close()
            raise
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def __enter__(self) -> SmtpSink:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_forever(
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    directory: Path | str | None = None,
    *,
    http_port: int | None = None,
    faults: FaultPlan | None = None,
) -> int:
    """Run the sink in the foreground until SIGINT or SIGTERM; return the exit code (0).

    With ``http_port``, the web view (``web.create_app``) is served on ``host:http_port`` too.
    Must be called from the main thread (signal handlers can only be installed there). Raises
    ``OSError`` at once if a port is already taken.
    """
    stop = threading.Event()

    def request_stop(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    sink = SmtpSink(host, port, directory, faults=faults, on_stored=_print_stored)
    http: BaseWSGIServer | None = None
    try:
        sink.start()
        print(f"SMTP sink on {host}:{port}, storing in {sink.store.directory}", flush=True)
        if http_port is not None:
            http = _start_web(host, http_port, sink.store.directory)
            print(f"Web view on http://{host}:{http_port}/", flush=True)
        stop.wait()  # woken by request_stop; lock waits are interruptible by signals on POSIX
    finally:
        if http is not None:
            http.shutdown()
            http.server_close()
        sink.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("SMTP sink stopped", flush=True)
    return 0


def _print_stored(message: StoredMessage) -> None:
    recipients = ", ".join(message.rcpt_tos)
    print(f"{message.name}  {message.mail_from} -> {recipients}: {message.subject}", flush=True)


def _start_web(host: str, port: int, directory: Path) -> BaseWSGIServer:
    from werkzeug.serving import make_server  # only needed with http_port

    from .web import create_app

    server = make_server(host, port, create_app(directory), threaded=True)
    threading.Thread(target=server.serve_forever, name="sink-web", daemon=True).start()
    return server
