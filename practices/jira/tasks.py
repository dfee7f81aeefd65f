"""Jira work done by Celery: planning syncs and running one connection's sync.

Task names stay ``practices.tasks.<fn>`` (where they were defined before issue 12):
outbox rows, queued messages and the beat schedule carry the name.
"""

from celery import shared_task

from practices.jira.lease import SyncBusy
from practices.jira.services import jira_sync_plan
from practices.jira.sync import jira_sync
from practices.models import JiraConnection
from practices.task_policies import DATABASE_ERRORS, DATABASE_RETRY


@shared_task(name="practices.tasks.plan_jira_syncs", **DATABASE_RETRY)
def plan_jira_syncs() -> None:
    """Run by beat every minute: queues a sync for each Jira connection that is due."""
    for pk in jira_sync_plan():
        sync_jira_connection.delay_on_commit(pk)


@shared_task(
    name="practices.tasks.sync_jira_connection",
    autoretry_for=DATABASE_ERRORS,
    retry_backoff=30,
    retry_jitter=True,
    max_retries=3,
    # Progress is stored page by page, so a run cut short loses nothing.
    soft_time_limit=30 * 60,
    time_limit=31 * 60,
)
def sync_jira_connection(connection_id: int, full: bool = False, trigger: str = "schedule") -> None:
    """One sync of one connection. Safe twice: the second finds the lease held and returns.

    Jira's own failures are not retried here: the sync waits and retries within its
    run, records how it ended, and schedules the next run (after Retry-After, if any).
    """
    connection = JiraConnection.objects.select_related("team").filter(pk=connection_id).first()
    if connection is None:
        return
    try:
        jira_sync(connection=connection, full=full, trigger=trigger)
    except SyncBusy:
        return
