"""Helpers of the reminder tests."""

import datetime as dt

from django.core import mail

from practices.models import Retro
from practices.reminders.delivery import reminder_digest_send, reminder_send
from practices.reminders.planner import reminder_plan


def run_planner() -> list[int]:
    """One planner run, and the sends it queued run right here (as a worker would)."""
    plan = reminder_plan()
    for pk in plan.send_ids:
        reminder_send(reminder_id=pk)
    for user_id in plan.digest_user_ids:
        reminder_digest_send(user_id=user_id)
    return plan.send_ids


def make_retro(team, *, starts_at: dt.datetime, time_zone: str = "Europe/Berlin", minutes=60):
    return Retro.objects.create(
        team=team,
        slot_at=starts_at,
        starts_at=starts_at,
        time_zone=time_zone,
        duration_minutes=minutes,
    )


def sent_to() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)
