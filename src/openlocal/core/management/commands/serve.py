"""openlocal serve: the web server (gunicorn) and one background worker, together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = (
        "Serve the site with gunicorn and run one background worker beside it. Ctrl-C stops "
        "both. For larger sites run `gunicorn openlocal.wsgi` and `openlocal worker` separately."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=3, help="gunicorn worker processes (default 3)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ["DJANGO_SETTINGS_MODULE"]}
        bind = f"{options['host']}:{options['port']}"
        web_cmd = [
            sys.executable,
            "-m",
            "gunicorn",
            "openlocal.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(options["web_workers"]),
            # Threads keep long downloads (a whole dataset, streamed) from being taken for a
            # stuck worker and killed, and serve other visitors meanwhile.
            "--worker-class",
            "gthread",
            "--threads",
            "4",
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            "127.0.0.1",
            "--graceful-timeout",
            "5",
        ]
        worker_cmd = [sys.executable, "-m", "openlocal", "worker"]
        names = {"web server (gunicorn)": web_cmd, "worker": worker_cmd}
        children = {
            name: subprocess.Popen(cmd, env=env)  # noqa: S603
            for name, cmd in names.items()
        }
        self.stdout.write(
            self.style.SUCCESS(
                f"{settings.SITE_NAME} is running at http://{bind}/ with one background worker. "
                "Press Ctrl-C to stop."
            )
        )
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        failed: tuple[str, int] | None = None
        while not stopping:
            for name, child in children.items():
                code = child.poll()
                if code is not None:
                    failed = (name, code)
                    stopping = True
                    break
            time.sleep(0.2)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for child in children.values():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        if failed is not None:
            raise CommandError(
                f"The {failed[0]} stopped with exit code {failed[1]}, so the rest was stopped "
                "too. See the messages above."
            )
