"""The planner: finds what is due, records it once, and says what to send now."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from practices.models import Reminder, ReminderDelivery, ReminderState, Team
from practices.reminders.kinds import Due, kind_list
from practices.reminders.preferences import delivery_map, profile_map, reminder_send_at


def claim_timeout() -> timedelta:
    """How long a claim (or a queued task) is trusted before the row is taken again.

    Longer than a send can take (the send task's hard time limit), so a live worker
    is never overtaken; short enough that a crash delays a reminder by minutes.
    """
    return timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT)


@dataclass
class Plan:
    planned: int = 0
    send_ids: list[int] = field(default_factory=list)
    digest_user_ids: list[int] = field(default_factory=list)


def reminder_due_list(
    *, now: datetime, until: datetime, team_ids: list[int] | None = None
) -> list[Due]:
    """Every registered kind's due reminders up to ``until``."""
    found: list[Due] = []
    for kind in kind_list():
        found.extend(kind.find(now=now, until=until, team_ids=team_ids))
    return found


def reminder_plan(*, now: datetime | None = None) -> Plan:
    """Records every reminder due by ``now`` once, and marks what to send as queued.

    Safe to run twice or in two beat processes at once: the unique key (kind, object,
    person, occasion) lets only one row per occasion exist, and the queued mark is a
    conditional UPDATE, so each due row is handed out by one run only. A row queued or
    claimed longer ago than the claim timeout (a lost task, a crashed worker) is handed
    out again. Nothing is scheduled in the broker for later: what is not due yet is
    found by a later run.
    """
    now = now or timezone.now()
    plan = Plan()
    plan.planned = _insert_new(reminder_due_list(now=now, until=now), now=now)
    plan.send_ids, plan.digest_user_ids = _mark_queued(now=now)
    return plan


def _insert_new(due: list[Due], *, now: datetime) -> int:
    if not due:
        return 0
    known = _existing_keys(due)
    new = {d.key: d for d in due if d.key not in known}
    if not new:
        return 0
    user_ids = {d.user_id for d in new.values()}
    deliveries = delivery_map(user_ids=user_ids)
    profiles = profile_map(user_ids=user_ids)
    team_zones = dict(
        Team.objects.filter(pk__in={d.team_id for d in new.values()}).values_list("pk", "time_zone")
    )
    rows = []
    for d in new.values():
        delivery = deliveries.get((d.user_id, d.kind), ReminderDelivery.NOW)
        next_attempt_at = reminder_send_at(
            delivery=delivery,
            after=now,
            profile=profiles[d.user_id],
            team_time_zone=team_zones.get(d.team_id, "UTC"),
        )
        rows.append(
            Reminder(
                kind=d.kind,
                object_id=d.object_id,
                user_id=d.user_id,
                occasion=d.occasion,
                team_id=d.team_id,
                delivery=delivery,
                state=(
                    ReminderState.SKIPPED
                    if delivery == ReminderDelivery.OFF
                    else ReminderState.PENDING
                ),
                due_at=d.send_at,
                next_attempt_at=next_attempt_at,
                payload=d.payload,
            )
        )
    # Conflicts are a concurrent planner's rows: the key holds, nothing is duplicated.
    # One INSERT on PostgreSQL however many rows (Django splits it only where the
    # database limits parameters, as SQLite does): the query count stays flat.
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _existing_keys(due: list[Due]) -> set[tuple[str, int, int, str]]:
    """The keys already recorded among ``due``: one query per kind present."""
    by_kind: dict[str, set[int]] = {}
    for d in due:
        by_kind.setdefault(d.kind, set()).add(d.object_id)
    known = set()
    for kind, object_ids in by_kind.items():
        known.update(
            (kind, object_id, user_id, occasion)
            for object_id, user_id, occasion in Reminder.objects.filter(
                kind=kind, object_id__in=object_ids
            ).values_list("object_id", "user_id", "occasion")
        )
    return known


def reminder_ready(*, now: datetime) -> QuerySet[Reminder]:
    """Pending rows that may be sent now and that no live worker holds."""
    stale = now - claim_timeout()
    return Reminder.objects.filter(state=ReminderState.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale)
    )


def _mark_queued(*, now: datetime) -> tuple[list[int], list[int]]:
    stale = now - claim_timeout()
    token = uuid.uuid4().hex
    # The rows this conditional UPDATE took are exactly those holding its token
    # afterwards: a concurrent run takes the others, never the same ones.
    reminder_ready(now=now).filter(Q(queued_at__isnull=True) | Q(queued_at__lt=stale)).update(
        queued_at=now, queue_token=token
    )
    marked = Reminder.objects.filter(state=ReminderState.PENDING, queue_token=token)
    send_ids = list(
        marked.filter(delivery=ReminderDelivery.NOW).order_by("pk").values_list("pk", flat=True)
    )
    digest_user_ids = sorted(
        set(marked.filter(delivery=ReminderDelivery.DIGEST).values_list("user_id", flat=True))
    )
    return send_ids, digest_user_ids
