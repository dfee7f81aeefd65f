"""Reminder work done by Celery: planning, sending, and beat's heartbeat.

Task names stay ``practices.tasks.<fn>`` (where they were defined before issue 12):
the beat schedule names them, and queued messages carry the name.
"""

from celery import shared_task

from practices.reminders.delivery import reminder_digest_send, reminder_send
from practices.reminders.heartbeat import heartbeat_tick
from practices.reminders.planner import reminder_plan
from practices.task_policies import DATABASE_RETRY


@shared_task(name="practices.tasks.plan_reminders", **DATABASE_RETRY)
def plan_reminders() -> int:
    """Run by beat every few minutes: records what is due and queues the sends.

    Safe twice and in two beat processes; see ``practices.reminders.planner``.
    """
    plan = reminder_plan()
    for reminder_id in plan.send_ids:
        send_reminder.delay(reminder_id)
    for user_id in plan.digest_user_ids:
        send_reminder_digest.delay(user_id)
    return plan.planned


# The send tasks' hard time limit, in seconds: the prefork pool kills a send still
# running then, so no live worker holds a reminder's claim longer than this.
# REMINDER_CLAIM_TIMEOUT (settings) must exceed it, with a margin for clock skew.
REMINDER_SEND_TIME_LIMIT = 120


# Mail-server failures are not retried by Celery (that would wait in the broker with a
# countdown): the row records the failure and the planner queues it again after a backoff.
@shared_task(
    name="practices.tasks.send_reminder",
    soft_time_limit=REMINDER_SEND_TIME_LIMIT - 20,
    time_limit=REMINDER_SEND_TIME_LIMIT,
)
def send_reminder(reminder_id: int) -> bool:
    """Sends one reminder at most once; a second delivery of the task finds it claimed."""
    return reminder_send(reminder_id=reminder_id)


@shared_task(
    name="practices.tasks.send_reminder_digest",
    soft_time_limit=REMINDER_SEND_TIME_LIMIT - 20,
    time_limit=REMINDER_SEND_TIME_LIMIT,
)
def send_reminder_digest(user_id: int) -> bool:
    """Bundles the person's due digest reminders into one email, once."""
    return reminder_digest_send(user_id=user_id)


@shared_task(name="practices.tasks.beat_heartbeat", ignore_result=True)
def beat_heartbeat() -> None:
    heartbeat_tick()
