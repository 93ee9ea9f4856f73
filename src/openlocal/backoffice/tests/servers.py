"""A real HTTP server on loopback in front of a back office, that can misbehave on cue.

The back office itself is this site's own Open311 server (pytest-django's live server).
:class:`BackOfficeFront` forwards every request to it, and can instead answer 500, be down
(its port closed, so connections are refused), or act as a *batch* Open311 service: it
answers POST requests with a token instead of the id, and ``tokens/{token}`` with the id
once :meth:`BackOfficeFront.process_tokens` has been called, as a back office that files
reports later does.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from openlocal.subscriptions.testing import LOOPBACK, free_port


@dataclass
class Seen:
    method: str
    path: str
    body: bytes


class BackOfficeFront:
    """Forwards to ``upstream`` unless told to fail; records what it was sent."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.port = free_port()
        self.mode = "forward"
        self.seen: list[Seen] = []
        #: Batch mode: our token for each id the back office gave, and whether it is known yet.
        self.tokens: dict[str, str] = {}
        self.tokens_ready = False
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> None:
        front = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with front._lock:
                    front.seen.append(Seen(self.command, self.path, body))
                    mode = front.mode
                if mode == "error":
                    self._answer(500, b"Internal Server Error", "text/plain")
                    return
                if mode == "batch" and self._batch(body):
                    return
                forwarded = httpx.request(
                    self.command,
                    front.upstream + self.path,
                    content=body,
                    headers={
                        k: v
                        for k, v in self.headers.items()
                        if k.lower() in ("content-type", "accept")
                    },
                    timeout=30,
                )
                self._answer(
                    forwarded.status_code,
                    forwarded.content,
                    forwarded.headers.get("content-type", "text/plain"),
                )

            def _batch(self, body: bytes) -> bool:
                path = self.path.split("?")[0]
                if self.command == "POST" and path.endswith("/requests.json"):
                    answer = httpx.post(
                        front.upstream + self.path,
                        content=body,
                        headers={"Content-Type": self.headers.get("Content-Type", "")},
                        timeout=30,
                    )
                    if answer.status_code != 200:
                        self._answer(answer.status_code, answer.content, "application/json")
                        return True
                    real = answer.json()[0]["service_request_id"]
                    token = f"T-{real}"
                    with front._lock:
                        front.tokens[token] = real
                    self._json(200, [{"token": token, "service_notice": "Queued."}])
                    return True
                if self.command == "GET" and "/tokens/" in path:
                    token = path.rsplit("/", 1)[1].removesuffix(".json")
                    with front._lock:
                        real = front.tokens.get(token) if front.tokens_ready else None
                    if real is None:
                        self._json(404, [{"code": 404, "description": "Not processed yet."}])
                    else:
                        self._json(200, [{"service_request_id": real, "token": token}])
                    return True
                return False

            def _json(self, status: int, value: Any) -> None:
                self._answer(status, json.dumps(value).encode(), "application/json")

            def _answer(self, status: int, content: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = _handle
            do_POST = _handle

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer((LOOPBACK, self.port), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Take the server down: connections to its port are refused until :meth:`start`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def fail(self) -> None:
        with self._lock:
            self.mode = "error"

    def recover(self) -> None:
        with self._lock:
            self.mode = "forward"

    def batch(self) -> None:
        with self._lock:
            self.mode = "batch"

    def process_tokens(self) -> None:
        with self._lock:
            self.tokens_ready = True

    def posts(self) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.method == "POST"]
