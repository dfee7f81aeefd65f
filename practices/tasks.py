"""Temporary shim (issue 12): the tasks moved to each practice's ``tasks`` module.

Deleted at the end of issue 12. The task *names* did not move: each is still
``practices.tasks.<fn>``, given with ``name=`` where it is defined now.
"""

from practices import emails  # tests patch ``tasks.emails``
from practices.jira.tasks import plan_jira_syncs, sync_jira_connection
from practices.outbox.tasks import relay_outbox
from practices.reminders.tasks import (
    REMINDER_SEND_TIME_LIMIT,
    beat_heartbeat,
    plan_reminders,
    send_reminder,
    send_reminder_digest,
)
from practices.task_policies import DATABASE_ERRORS, MAIL_ERRORS, MAIL_RETRY
from practices.teams.tasks import (
    enqueue_password_reset,
    send_membership_email,
    send_password_reset_email,
)

__all__ = [
    "DATABASE_ERRORS",
    "MAIL_ERRORS",
    "MAIL_RETRY",
    "REMINDER_SEND_TIME_LIMIT",
    "beat_heartbeat",
    "emails",
    "enqueue_password_reset",
    "plan_jira_syncs",
    "plan_reminders",
    "relay_outbox",
    "send_membership_email",
    "send_password_reset_email",
    "send_reminder",
    "send_reminder_digest",
    "sync_jira_connection",
]
