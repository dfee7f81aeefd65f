"""Work done by Celery workers: ids in, load, return quietly if gone, call a service."""

import smtplib

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from practices import emails
from practices.jira.sync import SyncBusy, jira_sync
from practices.models import JiraConnection, Membership

# A mail server too slow for the soft limit is a mail server failing: retried too.
MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError, SoftTimeLimitExceeded)
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


@shared_task(**MAIL_RETRY)
def send_membership_email(membership_id: int) -> None:
    """Invites (or tells) a new member, once.

    ``invitation_sent_at`` is set after the send: a worker killed mid-send leaves it
    empty and the outbox's next copy sends again (same Message-ID); the outbox lease
    keeps two copies from sending at once.
    """
    membership = (
        Membership.objects.select_related("team", "user", "invited_by")
        .filter(pk=membership_id, invitation_sent_at__isnull=True)
        .first()
    )
    if membership is None:
        return
    emails.membership_email_send(membership=membership)
    Membership.objects.filter(pk=membership_id).update(invitation_sent_at=timezone.now())


@shared_task(bind=True, **MAIL_RETRY)
def send_password_reset_email(self, user_id: int) -> None:
    """Mails a reset link. Each request is one outbox row, which the lease runs once;
    a copy sent again after a crash keeps the row's Message-ID."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    outbox_id = (self.request.headers or {}).get("outbox_id")
    emails.password_reset_email_send(user=user, occasion=outbox_id)


def enqueue_password_reset(user_id: int) -> None:
    # Through the outbox: a reset asked for while the broker is down still arrives.
    # A second request while the first waits adds nothing (the link would be the same).
    from practices.outbox.services import outbox_enqueue

    outbox_enqueue(task=send_password_reset_email, args=[user_id], key=f"password-reset:{user_id}")


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=10, retry_jitter=True, max_retries=3)
def relay_outbox() -> int:
    """Run by beat every half minute: publishes outbox rows the broker did not take."""
    from practices.outbox.services import outbox_relay

    return outbox_relay()


# -- Jira -------------------------------------------------------------------------------


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=10, retry_jitter=True, max_retries=3)
def plan_jira_syncs() -> None:
    """Run by beat every minute: queues a sync for each Jira connection that is due."""
    # Imported here: the services queue this module's tasks.
    from practices.jira.services import jira_sync_plan

    jira_sync_plan()


@shared_task(
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


# -- Reminders --------------------------------------------------------------------------


@shared_task(autoretry_for=DATABASE_ERRORS, retry_backoff=10, retry_jitter=True, max_retries=3)
def plan_reminders() -> int:
    """Run by beat every few minutes: records what is due and queues the sends.

    Safe twice and in two beat processes; see ``practices.reminders.planner``.
    """
    from practices.reminders.planner import reminder_plan

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
@shared_task(soft_time_limit=REMINDER_SEND_TIME_LIMIT - 20, time_limit=REMINDER_SEND_TIME_LIMIT)
def send_reminder(reminder_id: int) -> bool:
    """Sends one reminder at most once; a second delivery of the task finds it claimed."""
    from practices.reminders.delivery import reminder_send

    return reminder_send(reminder_id=reminder_id)


@shared_task(soft_time_limit=REMINDER_SEND_TIME_LIMIT - 20, time_limit=REMINDER_SEND_TIME_LIMIT)
def send_reminder_digest(user_id: int) -> bool:
    """Bundles the person's due digest reminders into one email, once."""
    from practices.reminders.delivery import reminder_digest_send

    return reminder_digest_send(user_id=user_id)


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    from practices.reminders.heartbeat import heartbeat_tick

    heartbeat_tick()
