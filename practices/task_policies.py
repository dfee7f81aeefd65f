"""How Celery tasks retry, shared by every practice's tasks and by proposals' tasks.

One definition of which errors count as "the mail server failed" or "the database
blinked", so that every task retries the same failures the same way.
"""

import smtplib
from collections.abc import Callable

from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError
from django.db.models import QuerySet
from django.utils import timezone

# The mail server refused, went away or did not answer in time.
MAIL_SERVER_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
# What a mail task retries. A mail server too slow for the soft limit is a mail server
# failing: retried too.
MAIL_ERRORS = (*MAIL_SERVER_ERRORS, SoftTimeLimitExceeded)
DATABASE_ERRORS = (OperationalError, InterfaceError)
# These tasks run from the outbox under a lease of their hard time limit + 30 s: a
# worker killed mid-send is replaced by the relay's next copy about 150 s later.
MAIL_RETRY = {
    "autoretry_for": MAIL_ERRORS,
    "retry_backoff": 30,
    "retry_jitter": True,
    "max_retries": 6,
    "soft_time_limit": 100,
    "time_limit": 120,
}
# Beat's planners and other quick database work: a few short retries, then give up
# until the next tick.
DATABASE_RETRY = {
    "autoretry_for": DATABASE_ERRORS,
    "retry_backoff": 10,
    "retry_jitter": True,
    "max_retries": 3,
}


def send_then_stamp(*, queryset: QuerySet, field: str, send: Callable[[], object]) -> None:
    """Sends unless ``field`` (the "sent" mark) is already set on ``queryset``, then sets it.

    The mark is set only once the mail server took every email: a worker killed mid-send
    leaves it empty and the outbox's next copy sends again (same Message-ID). The outbox
    lease, not this mark, keeps two copies of the task from sending at once.
    """
    if not queryset.filter(**{f"{field}__isnull": True}).exists():
        return
    send()
    queryset.update(**{field: timezone.now()})
