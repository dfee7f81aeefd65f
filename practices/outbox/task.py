"""The base class of every Celery task (``task_cls`` in ``teamlead.celery``).

A task published from the outbox carries its row's id in the ``outbox_id`` header.
Before running, it leases the row; once it returned (or failed for good), it deletes
the row; when Celery schedules a retry, it frees the lease. A copy that finds the row
gone or leased returns at once without running: the work is done, or being done. A
task called without the header (directly, or queued by ``delay``) runs as usual.

Models are imported inside the methods: Celery loads this class with the app, before
Django's apps are ready.
"""

import logging

from celery.contrib.django.task import DjangoTask
from celery.exceptions import Retry

logger = logging.getLogger(__name__)

# With no hard time limit anywhere (never the case with our settings), a lease of an
# hour: the relay then takes a killed run's row again after this.
FALLBACK_TIME_LIMIT = 60 * 60


# DjangoTask: the class Celery's Django fix-up would otherwise use (``delay_on_commit``).
class OutboxTask(DjangoTask):
    def __call__(self, *args, **kwargs):
        outbox_id = self._outbox_id()
        if outbox_id is None:
            return super().__call__(*args, **kwargs)
        from practices.outbox.services import outbox_done, outbox_lease_take

        if not outbox_lease_take(pk=outbox_id, seconds=self._lease_seconds()):
            logger.info("outbox: %s for row %s is done or running; skipped", self.name, outbox_id)
            return None
        try:
            result = super().__call__(*args, **kwargs)
        except Retry:
            raise  # the lease was freed in retry()
        except Exception as error:
            # Failed for good (no retry declared for it, or retries used up): as
            # before the outbox, the failure is logged by Celery and the work dropped.
            logger.error("outbox: %s for row %s failed for good: %r", self.name, outbox_id, error)
            outbox_done(pk=outbox_id)
            raise
        outbox_done(pk=outbox_id)
        return result

    def retry(
        self,
        args=None,
        kwargs=None,
        exc=None,
        throw=True,
        eta=None,
        countdown=None,
        max_retries=None,
        **options,
    ):
        outbox_id = self._outbox_id()
        if outbox_id is not None:
            from practices.outbox.services import outbox_lease_release

            # Freed before the retry is published: a retry due at once must find the
            # row free, or it would return thinking another run holds it.
            outbox_lease_release(
                pk=outbox_id, retry_in=countdown or 0, error=f"{type(exc).__name__}: {exc}"
            )
        return super().retry(
            args=args,
            kwargs=kwargs,
            exc=exc,
            throw=throw,
            eta=eta,
            countdown=countdown,
            max_retries=max_retries,
            **options,
        )

    def _outbox_id(self) -> int | None:
        headers = self.request.headers or {}
        value = headers.get("outbox_id")
        return int(value) if value is not None else None

    def _lease_seconds(self) -> float:
        from practices.outbox.services import LEASE_MARGIN

        hard = (self.request.timelimit or (None, None))[0]
        hard = hard or self.time_limit or self.app.conf.task_time_limit or FALLBACK_TIME_LIMIT
        return hard + LEASE_MARGIN.total_seconds()
