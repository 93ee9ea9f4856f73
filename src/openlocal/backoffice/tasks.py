"""Background work of back-office links, for the worker and the task queue."""

from __future__ import annotations

from django_tasks import task


@task()
def send_sending(sending_id: int) -> None:
    """Try one sending now: queued by "Retry now" so the page need not wait for the call."""
    from openlocal.backoffice.sending import send_one

    send_one(sending_id)


#: Rounds of the sending job per run: a backlog is worked through in one run, up to this.
ROUNDS = 20


def send_job() -> bool:
    """The worker's periodic job: find newly routed requests, then send what is due, again
    while full batches keep coming."""
    from openlocal.backoffice import outbox, sending

    did = False
    for _ in range(ROUNDS):
        read = outbox.sendings_from_events()
        result = sending.send_due()
        tried = result.sent + result.retrying + result.failed + result.cancelled
        did = did or bool(read) or bool(tried)
        if read < outbox.BATCH and tried < sending.BATCH:
            break
    return did


def poll_job() -> bool:
    """The worker's periodic job: apply the back offices' updates."""
    from openlocal.backoffice.polling import poll

    return poll().applied > 0
