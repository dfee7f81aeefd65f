"""Reads for the notifications pages: what will go out, and what went out."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from practices.models import (
    Reminder,
    ReminderDelivery,
    ReminderState,
    ReminderTeamSettings,
    Team,
)
from practices.reminders.kinds import Due, kind_get
from practices.reminders.planner import reminder_due_list
from practices.reminders.preferences import (
    delivery_map,
    person_zone,
    profile_map,
    reminder_send_at,
)

HORIZON = timedelta(days=14)
RECENT_SHOWN = 25


@dataclass(frozen=True)
class Upcoming:
    """A reminder someone will get: when, how, about what."""

    due: Due
    kind_label: str
    team: Team
    person: object
    delivery: str
    at: datetime  # in the person's time zone

    @property
    def delivery_label(self) -> str:
        return ReminderDelivery(self.delivery).label


def reminder_upcoming_list(
    *, teams: list[Team], user_id: int | None = None, now: datetime | None = None
) -> list[Upcoming]:
    """Reminders that will go out within two weeks for ``teams`` (to ``user_id`` only,
    if given), soonest first, excluding those already sent. A fixed number of queries."""
    now = now or timezone.now()
    by_id = {team.pk: team for team in teams}
    due = [
        d
        for d in reminder_due_list(now=now, until=now + HORIZON, team_ids=list(by_id))
        if user_id is None or d.user_id == user_id
    ]
    if not due:
        return []
    done = set(
        Reminder.objects.filter(team_id__in=list(by_id), user_id__in={d.user_id for d in due})
        .exclude(state=ReminderState.PENDING)
        .filter(created_at__gte=now - HORIZON - timedelta(days=14))
        .values_list("kind", "object_id", "user_id", "occasion")
    )
    user_ids = {d.user_id for d in due}
    people = get_user_model().objects.in_bulk(user_ids)
    deliveries = delivery_map(user_ids=user_ids)
    profiles = profile_map(user_ids=user_ids)
    found = []
    for d in due:
        if d.key in done:
            continue
        kind = kind_get(d.kind)
        team = by_id[d.team_id]
        zone = person_zone(profile=profiles[d.user_id], team_time_zone=team.time_zone)
        delivery = deliveries.get((d.user_id, d.kind), ReminderDelivery.NOW)
        at = reminder_send_at(
            delivery=delivery,
            after=max(d.send_at, now),
            profile=profiles[d.user_id],
            team_time_zone=team.time_zone,
        )
        found.append(
            Upcoming(
                due=d,
                kind_label=kind.label if kind else d.kind,
                team=team,
                person=people.get(d.user_id),
                delivery=delivery,
                at=at.astimezone(zone),
            )
        )
    return sorted(found, key=lambda u: (u.at, u.team.name, u.due.user_id))


def reminder_recent_list(*, team: Team | None = None, user=None) -> list[Reminder]:
    """The latest reminders that went out (or were skipped or failed), newest first."""
    reminders = Reminder.objects.exclude(state=ReminderState.PENDING)
    if team is not None:
        reminders = reminders.filter(team=team)
    if user is not None:
        reminders = reminders.filter(user=user)
    recent = list(
        reminders.select_related("team", "user").order_by("-created_at", "-pk")[:RECENT_SHOWN]
    )
    for reminder in recent:
        kind = kind_get(reminder.kind)
        reminder.kind_label = kind.label if kind else reminder.kind
    return recent


def reminder_team_settings_get(*, team: Team) -> ReminderTeamSettings:
    found = ReminderTeamSettings.objects.filter(team=team).first()
    return found or ReminderTeamSettings(team=team)
