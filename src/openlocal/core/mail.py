"""Sending a batch of emails over one SMTP connection."""

from __future__ import annotations

import contextlib
import smtplib
from typing import Any

from django.core.mail import get_connection


class BatchMailer:
    """One SMTP connection for a batch, opened when the first message is ready.

    ``send`` raises what the connection raises (the server down, a refused recipient), so
    that the caller decides what to retry; ``close`` never raises.
    """

    def __init__(self) -> None:
        self.connection: Any = None

    def send(self, message: Any) -> None:
        if self.connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self.connection = connection
        self.connection.send_messages([message])

    def close(self) -> None:
        if self.connection is not None:
            # The server may have gone away already: then there is nothing to close.
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None
