"""The outbox: a task a write asks for is a row in the write's own transaction.

``delay_on_commit`` publishes after the commit: with the broker down it raises, the
user sees a 500 for a change that was saved, and the email it meant is gone for good.
``outbox_enqueue`` instead records the task as an ``OutboxMessage`` row next to the
change, then tries to publish it as soon as the transaction commits (the fast path,
so a healthy broker adds no delay). If the broker does not take it, the row waits and
beat's ``relay_outbox`` publishes it once the broker is back.

The row is kept until the task itself has run, not until the broker took it: a Redis
without persistence that restarts forgets what it held, and a worker SIGKILLed (or a
host that dies) mid-send leaves the work half done. The row's id travels in the
message's ``outbox_id`` header; ``OutboxTask`` (every task's base class) takes a lease
on the row before running, deletes the row when the task returned, and frees the lease
when Celery schedules a retry. The relay publishes again a row whose task has not
started ``OUTBOX_REPUBLISH_SECONDS`` after publishing, or whose lease has run out
(the task's hard time limit plus ``LEASE_MARGIN``: the prefork pool has killed any
run by then, so no live worker holds it).

A task may so be published twice, but runs at most once at a time (the lease, taken
by a conditional UPDATE) and does nothing once done (the row is gone). What remains is
one window: a worker that dies after the mail server took an email but before the
task's "sent" stamp committed sends it again when the lease has run out; the email
carries the same Message-ID (``practices.emails.message_id_make``), so mail systems
fold the copy. Tasks that send mail therefore mark "sent" after sending, never before.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from celery.app.task import Task
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from practices.models import OutboxMessage

logger = logging.getLogger(__name__)

# The message header that carries the outbox row's id to the task.
OUTBOX_HEADER = "outbox_id"
# Added to a task's hard time limit for its lease: absorbs clock skew between hosts.
LEASE_MARGIN = timedelta(seconds=30)
# A publish takes milliseconds; a claim this old belongs to a publisher that died
# (a web process killed right after its commit). Taking it again publishes it twice
# at worst, which the idempotent tasks absorb.
CLAIM_TIMEOUT = timedelta(seconds=60)
# How long one publish may wait for the broker: the fast path runs inside the user's
# request, so it gives up quickly and leaves the row to the relay.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
RELAY_BATCH = 500


def outbox_enqueue(
    *, task: Task | str, args: Sequence = (), kwargs: dict | None = None, key: str = ""
) -> OutboxMessage | None:
    """Records ``task(*args, **kwargs)`` to run once the current transaction commits.

    The row commits (or rolls back) with the caller's change; after the commit it is
    published at once if the broker answers, else by the relay later. With a ``key``,
    a second request while one with that key still waits adds nothing (returns None).
    Arguments must be JSON (ids, not objects), as the broker needs anyway. With a
    ``key``, the row (and so the key) lasts until its task has run.
    """
    name = task if isinstance(task, str) else task.name
    if key and OutboxMessage.objects.filter(key=key).exists():
        return None
    try:
        with transaction.atomic():
            row = OutboxMessage.objects.create(
                task=name, args=list(args), kwargs=kwargs or {}, key=key
            )
    except IntegrityError:
        if key:  # a concurrent request recorded the same key first
            return None
        raise
    transaction.on_commit(partial(_publish_after_commit, row.pk))
    return row


def _publish_after_commit(pk: int) -> None:
    # Runs after the user's change committed: whatever goes wrong here must not turn
    # that success into a 500. The row stays for the relay.
    try:
        outbox_relay(ids=[pk])
    except Exception:
        logger.exception("outbox: publishing %s after the commit failed; the relay will", pk)


def outbox_relay(*, ids: Iterable[int] | None = None, now: datetime | None = None) -> int:
    """Publishes due outbox rows (``ids``, or the oldest ones); returns how many.

    Due: never published, or published ``OUTBOX_REPUBLISH_SECONDS`` ago and not running
    (the broker lost it, or a worker died mid-run and its lease ran out). Rows are
    claimed by a conditional UPDATE under a fresh token, so two relays (or a relay and
    a request's fast path) never publish the same row; a claim older than
    ``CLAIM_TIMEOUT`` is taken again. A published row is kept (``published_at``) until
    its task deletes it. When the broker refuses, the claims are released and the rest
    of the batch is left for later.
    """
    now = now or timezone.now()
    republish_before = now - timedelta(seconds=settings.OUTBOX_REPUBLISH_SECONDS)
    not_running = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    due = Q(published_at__isnull=True) | (Q(published_at__lt=republish_before) & not_running)
    unclaimed = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    free = due & unclaimed
    candidates = OutboxMessage.objects.filter(free)
    if ids is not None:
        candidates = candidates.filter(pk__in=list(ids))
    else:
        oldest = list(candidates.order_by("pk").values_list("pk", flat=True)[:RELAY_BATCH])
        candidates = OutboxMessage.objects.filter(free, pk__in=oldest)
    token = uuid.uuid4().hex
    if not candidates.update(claimed_at=now, claim_token=token, attempts=F("attempts") + 1):
        return 0
    claimed = OutboxMessage.objects.filter(claim_token=token)
    published = 0
    for row in claimed.order_by("pk"):
        try:
            current_app.send_task(
                row.task,
                args=row.args,
                kwargs=row.kwargs,
                headers={OUTBOX_HEADER: row.pk},
                retry=True,
                retry_policy=PUBLISH_RETRY_POLICY,
            )
        except Exception as error:
            # The broker is down (kombu's OperationalError, a refused or timed-out
            # connection): the next row would wait for the same failure.
            logger.warning("outbox: the broker refused %s (%s); left for the relay", row, error)
            claimed.update(
                claimed_at=None, claim_token="", last_error=f"{type(error).__name__}: {error}"[:300]
            )
            return published
        # The task may already have run and deleted the row: then this updates nothing.
        claimed.filter(pk=row.pk).update(published_at=now, claimed_at=None, claim_token="")
        published += 1
    return published


def outbox_lease_take(*, pk: int, seconds: float, now: datetime | None = None) -> bool:
    """Claims row ``pk`` for one run of its task, for ``seconds``; False if it is gone
    (the task already ran) or a live run holds it (this copy is a duplicate)."""
    now = now or timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    taken = OutboxMessage.objects.filter(free, pk=pk).update(
        lease_until=now + timedelta(seconds=seconds)
    )
    return bool(taken)


def outbox_lease_release(*, pk: int, retry_in: float = 0, error: str = "") -> None:
    """Frees row ``pk`` for Celery's retry, due in ``retry_in`` seconds; the relay
    publishes it again only if that retry has not started well after then."""
    OutboxMessage.objects.filter(pk=pk).update(
        lease_until=None,
        published_at=timezone.now() + timedelta(seconds=retry_in),
        last_error=error[:300],
    )


def outbox_done(*, pk: int) -> None:
    """The task of row ``pk`` has run (or failed for good): nothing is left to publish."""
    OutboxMessage.objects.filter(pk=pk).delete()
