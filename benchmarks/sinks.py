"""The benchmark's webhook receiver in a process of its own.

A receiver in the worker's own process shares its interpreter lock, so it measures the two
together. A deployed worker posts to receivers elsewhere; running the receiver in a child
process (forked, so it needs nothing but the test-support module) measures the worker alone
while keeping the same receiver code the tests use. The parent talks to it over a pipe.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection
from typing import Any

from openlocal.subscriptions.testing import ReceivedHook, webhook_receiver


def _serve(pipe: Connection) -> None:
    with webhook_receiver() as hooks:
        pipe.send(hooks.url(""))
        while True:
            command = pipe.recv()
            if command == "stop":
                pipe.send(None)
                return
            with hooks._changed:
                if command == "count":
                    pipe.send(len(hooks.received))
                elif command == "connections":
                    pipe.send(hooks.connections)
                elif command == "clear":
                    hooks.received.clear()
                    pipe.send(None)
                elif command == "sample":
                    pipe.send(hooks.received[0] if hooks.received else None)


class RemoteReceiver:
    """What the fan-out benchmark needs of a receiver, answered by the child process."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._lock = threading.Lock()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        self._base = str(self._pipe.recv()).rstrip("/")

    def _ask(self, command: str) -> Any:
        with self._lock:
            self._pipe.send(command)
            return self._pipe.recv()

    def url(self, path: str) -> str:
        return self._base + path

    @property
    def count(self) -> int:
        return int(self._ask("count"))

    @property
    def connections(self) -> int:
        return int(self._ask("connections"))

    def clear(self) -> None:
        self._ask("clear")

    def sample(self) -> ReceivedHook:
        received = self._ask("sample")
        if received is None:
            raise RuntimeError("The receiver has not received anything yet.")
        return received

    def close(self) -> None:
        self._ask("stop")
        self._process.join(timeout=10)
