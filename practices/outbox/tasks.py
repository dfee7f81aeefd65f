"""The outbox relay, run by beat.

Its task name stays ``practices.tasks.relay_outbox`` (where it was defined before
issue 12): the beat schedule and queued messages carry the name.
"""

from celery import shared_task

from practices.outbox.services import outbox_relay
from practices.task_policies import DATABASE_RETRY


@shared_task(name="practices.tasks.relay_outbox", **DATABASE_RETRY)
def relay_outbox() -> int:
    """Run by beat every half minute: publishes outbox rows the broker did not take."""
    return outbox_relay()
