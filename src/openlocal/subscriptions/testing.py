"""Real mail and webhook receivers on loopback, for tests and benchmarks.

Delivery is tested against real servers rather than mocks: an SMTP server (aiosmtpd) and an
HTTP receiver (``http.server``), both in threads of the test process, both bound to
127.0.0.1 only. Each records what it received and can be told to misbehave::

    with smtp_server() as smtp, override_settings(**smtp.settings()):
        smtp.refuse("nobody@example.org")      # 550 at RCPT for that address
        run_batch()
        assert smtp.recipients() == ["someone@example.org"]

    with webhook_receiver() as hooks:
        endpoint_url = hooks.url("/hook")
        hooks.answer(status=500)               # or delay=5.0 to hang past the timeout
        ...
        assert hooks.connections == 1          # keep-alive: one TCP connection

``aiosmtpd`` is a test dependency; importing this module needs it.
"""

from __future__ import annotations

import email
import email.policy
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

LOOPBACK = "127.0.0.1"

# aiosmtpd logs every SMTP command at INFO; a test or benchmark wants only problems.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on at the moment."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def _wait(condition: threading.Condition, predicate: Any, timeout: float) -> bool:
    with condition:
        return bool(condition.wait_for(predicate, timeout=timeout))


# SMTP -------------------------------------------------------------------------------------


@dataclass
class ReceivedMail:
    """One message as the SMTP server received it."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @cached_property
    def message(self) -> EmailMessage:
        """The parsed message (parsed on first use, so recording stays cheap)."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def to(self) -> str:
        return self.rcpt_tos[0]

    @property
    def subject(self) -> str:
        return self.header("Subject")

    def header(self, name: str) -> str:
        """A header's value, unfolded (long headers are folded over several lines)."""
        value = self.message[name]
        return " ".join(str(value).split()) if value is not None else ""

    def part(self, content_type: str) -> str:
        """The decoded body part of that type (``text/plain`` or ``text/html``), or ``""``."""
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                assert isinstance(part, EmailMessage)
                return str(part.get_content())
        return ""

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


class _SMTPHandler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_EHLO(
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        session.host_name = hostname
        with self.server._changed:
            self.server.connections += 1
        return responses

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.server.refused:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.failing:
            return "451 4.3.0 Temporary failure, try again later"
        received = ReceivedMail(
            mail_from=str(envelope.mail_from),
            rcpt_tos=[str(r) for r in envelope.rcpt_tos],
            raw=bytes(envelope.content),
        )
        with self.server._changed:
            self.server.received.append(received)
            self.server._changed.notify_all()
        return "250 Message accepted"


class SMTPServer:
    """An aiosmtpd server on loopback that records every message it accepts.

    ``refuse(address)`` makes it answer 550 to that recipient; ``failing = True`` makes it
    answer 451 to every message; ``stop()`` takes it down (connections are refused) and
    ``start()`` brings it back on the same port.
    """

    def __init__(self, port: int | None = None) -> None:
        self.host = LOOPBACK
        self.port = port or free_port()
        self.received: list[ReceivedMail] = []
        self.refused: set[str] = set()
        self.failing = False
        #: SMTP sessions opened (one per EHLO): connection reuse shows as a small number.
        self.connections = 0
        self._changed = threading.Condition()
        self._controller: Controller | None = None

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = Controller(
            _SMTPHandler(self), hostname=self.host, port=self.port, ready_timeout=10
        )
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    def refuse(self, address: str) -> None:
        self.refused.add(address.lower())

    def settings(self) -> dict[str, Any]:
        """Django settings that send mail here, for ``override_settings(**...)``."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": self.host,
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 10,
        }

    @property
    def email_url(self) -> str:
        """The ``OPENLOCAL_EMAIL_URL`` that sends mail here (for a worker subprocess)."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def messages(self) -> list[ReceivedMail]:
        with self._changed:
            return list(self.received)

    def to(self, address: str) -> list[ReceivedMail]:
        """The messages received for one recipient."""
        address = address.lower()
        return [m for m in self.messages if address in (r.lower() for r in m.rcpt_tos)]

    def recipients(self) -> list[str]:
        """Every recipient of every message, in the order received (repeats included)."""
        return [r for m in self.messages for r in m.rcpt_tos]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` messages have arrived; False if time ran out."""
        return _wait(self._changed, lambda: len(self.received) >= count, timeout)

    def clear(self) -> None:
        with self._changed:
            self.received.clear()
            self.connections = 0


@contextmanager
def smtp_server(port: int | None = None) -> Iterator[SMTPServer]:
    """A running :class:`SMTPServer`, stopped on exit."""
    server = SMTPServer(port)
    server.start()
    try:
        yield server
    finally:
        server.stop()


# Webhooks ---------------------------------------------------------------------------------


@dataclass
class ReceivedHook:
    """One HTTP request as the receiver got it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    #: Which TCP connection carried it (1 for the first connection, and so on).
    connection: int


@dataclass
class _Answer:
    status: int = 200
    delay: float = 0.0


@dataclass
class WebhookReceiver:
    """A threaded HTTP/1.1 server on loopback that records every request it receives.

    By default it answers 204. ``answer(status=500)`` or ``answer(delay=5.0)`` changes the
    answer for every path, or for one path with ``path=``. A delayed answer ends early when
    the receiver stops, so a test never waits for a hanging handler.
    """

    received: list[ReceivedHook] = field(default_factory=list)
    connections: int = 0
    _answers: dict[str | None, _Answer] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)
    _closing: threading.Event = field(default_factory=threading.Event)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                with receiver._changed:
                    receiver.connections += 1
                    self.connection_number = receiver.connections

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                answer = receiver._answer_for(self.path)
                if answer.delay:
                    receiver._closing.wait(answer.delay)
                with receiver._changed:
                    receiver.received.append(
                        ReceivedHook(
                            method="POST",
                            path=self.path,
                            headers={k.lower(): v for k, v in self.headers.items()},
                            body=body,
                            connection=self.connection_number,
                        )
                    )
                    receiver._changed.notify_all()
                try:
                    self.send_response(answer.status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the sender gave up waiting (a timeout test): nothing to answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._closing.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start the receiver first"
        return int(self._server.server_address[1])

    def url(self, path: str = "/hook") -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def answer(self, *, status: int = 204, delay: float = 0.0, path: str | None = None) -> None:
        """Answer requests (to ``path``, or to any path) with ``status`` after ``delay`` s."""
        with self._changed:
            self._answers[path] = _Answer(status, delay)

    def _answer_for(self, path: str) -> _Answer:
        with self._changed:
            return self._answers.get(path) or self._answers.get(None) or _Answer(204)

    @property
    def requests(self) -> list[ReceivedHook]:
        with self._changed:
            return list(self.received)

    def to(self, path: str) -> list[ReceivedHook]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``count`` requests have arrived; False if time ran out."""
        return _wait(self._changed, lambda: len(self.received) >= count, timeout)


@contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A running :class:`WebhookReceiver`, stopped on exit."""
    receiver = WebhookReceiver()
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


def wait_until(predicate: Any, timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll ``predicate()`` until it is true; False if ``timeout`` seconds pass first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return bool(predicate())


__all__ = [
    "ReceivedHook",
    "ReceivedMail",
    "SMTPServer",
    "WebhookReceiver",
    "free_port",
    "smtp_server",
    "wait_until",
    "webhook_receiver",
]
