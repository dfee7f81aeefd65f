"""The lease on a Jira connection that makes one sync at a time, and Jira's retries.

A sync claims its connection's lease with a conditional UPDATE that succeeds only if no
lease is held or the one held has expired, and renews it as it goes; a worker killed
mid-run keeps it until it expires (``JIRA_SYNC_LEASE_SECONDS``), then the next run may
take over. Waiting for Jira (a rate limit, a retry) renews the lease for the wait.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Now

from practices.jira.client import JiraRateLimited, JiraTransientError
from practices.models import JiraConnection

RATE_LIMIT_WAITS = 5  # per request
TRANSIENT_RETRIES = 3  # per request
MAX_WAIT_SECONDS = 60.0  # a longer Retry-After ends the run; the next is scheduled after it

T = TypeVar("T")


class SyncBusy(Exception):
    """Another sync of this connection holds the lease."""


class LeaseLost(Exception):
    """Our lease expired and someone else holds it now, or the connection changed."""


def lease_seconds() -> float:
    return float(settings.JIRA_SYNC_LEASE_SECONDS)


def retry_base_seconds() -> float:
    return float(getattr(settings, "JIRA_RETRY_BASE_SECONDS", 1.0))


# -- the lease ----------------------------------------------------------------------


@dataclass
class Lease:
    connection_id: int
    token: str
    held_at: float = field(default_factory=time.monotonic)

    @classmethod
    def claim(cls, *, connection_id: int) -> Lease | None:
        """The lease, if nobody holds it or its holder let it expire; else None.

        Times come from the database's clock, the one clock every worker shares.
        """
        token = secrets.token_hex(16)
        claimed = (
            JiraConnection.objects.filter(pk=connection_id)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now()))
            .update(lease_token=token, lease_expires_at=Now() + timedelta(seconds=lease_seconds()))
        )
        return cls(connection_id=connection_id, token=token) if claimed else None

    def hold(self, *, extra_seconds: float = 0.0, **changes) -> None:
        """Renews the lease (and writes ``changes``) only while we hold it; else LeaseLost.

        Inside a page's transaction this is the fence: a lost lease rolls the page back.
        """
        expires = Now() + timedelta(seconds=lease_seconds() + extra_seconds)
        held = JiraConnection.objects.filter(pk=self.connection_id, lease_token=self.token).update(
            lease_expires_at=expires, **changes
        )
        if not held:
            raise LeaseLost("another sync took over this connection, or it was changed")
        self.held_at = time.monotonic()

    def keep(self) -> None:
        """Renews the lease once a third of it has passed: often enough, and no more."""
        if time.monotonic() - self.held_at >= lease_seconds() / 3:
            self.hold()

    def release(self) -> None:
        JiraConnection.objects.filter(pk=self.connection_id, lease_token=self.token).update(
            lease_token="", lease_expires_at=None
        )


# -- retries ------------------------------------------------------------------------


def _backoff(attempt: int) -> float:
    """Exponential, with "equal jitter": between half and all of base * 2^attempt."""
    cap = retry_base_seconds() * 2**attempt
    return random.uniform(cap / 2, cap)  # noqa: S311 - timing jitter, not a secret


def with_retries(call: Callable[[], T], *, lease: Lease | None = None) -> T:
    """``call()``, waiting and trying again on rate limits and passing failures."""
    rate_limited = failed = 0
    while True:
        try:
            return call()
        except JiraRateLimited as error:
            wait = error.retry_after if error.retry_after is not None else _backoff(rate_limited)
            if rate_limited >= RATE_LIMIT_WAITS or wait > MAX_WAIT_SECONDS:
                raise
            rate_limited += 1
            # Never less than Jira asked; a little more so that teams sharing a site
            # do not all come back in the same instant.
            wait += random.uniform(0, 0.1 * wait + 0.1)  # noqa: S311
        except JiraTransientError:
            if failed >= TRANSIENT_RETRIES:
                raise
            wait = _backoff(failed)
            failed += 1
        if lease is not None:
            lease.hold(extra_seconds=wait)
        time.sleep(wait)
