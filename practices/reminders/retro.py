"""The weekly retro reminder: every member, a few days (per team) before each retro.

The reminder goes out at the retro's local time of day, N days earlier on the
calendar of the retro's time zone, so a daylight-saving change in between moves it
with the wall clock, not by an hour. It carries the date in the reader's time zone,
the team's open action items, a link to add cards and a calendar invite.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from practices.emails import absolute_url
from practices.models import (
    RETRO_REMINDER_DAYS_BEFORE,
    RETRO_REMINDER_MAX_DAYS_BEFORE,
    ActionItemStatus,
    Membership,
    Reminder,
    ReminderTeamSettings,
    Retro,
    RetroActionItem,
    Role,
)
from practices.reminders.kinds import Attachment, Due, Kind, Link, Message
from practices.retros.ics import calendar_new, retro_event

KIND = "retro"
REMINDED_ROLES = (Role.LEAD, Role.MEMBER)


def remind_at(*, starts_at: datetime, time_zone: str, days_before: int) -> datetime:
    """``days_before`` calendar days before ``starts_at``, at the same local time."""
    zone = ZoneInfo(time_zone or "UTC")
    local = starts_at.astimezone(zone)
    earlier = datetime.combine(local.date() - timedelta(days=days_before), local.timetz())
    # Rebuilt from the wall clock so the UTC offset is the one of the earlier day.
    return earlier.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _days_before_map(team_ids) -> dict[int, int]:
    return dict(
        ReminderTeamSettings.objects.filter(team_id__in=team_ids).values_list(
            "team_id", "retro_days_before"
        )
    )


def find(*, now: datetime, until: datetime, team_ids=None) -> list[Due]:
    retros = Retro.objects.filter(
        skipped=False,
        starts_at__gt=now,
        starts_at__lte=until + timedelta(days=RETRO_REMINDER_MAX_DAYS_BEFORE),
    )
    if team_ids is not None:
        retros = retros.filter(team_id__in=list(team_ids))
    retros = list(retros.values("pk", "team_id", "starts_at", "time_zone"))
    if not retros:
        return []
    teams = {r["team_id"] for r in retros}
    days = _days_before_map(teams)
    members = defaultdict(list)
    for team_id, user_id in Membership.objects.filter(
        team_id__in=teams, role__in=REMINDED_ROLES
    ).values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    due = []
    for retro in retros:
        send_at = remind_at(
            starts_at=retro["starts_at"],
            time_zone=retro["time_zone"],
            days_before=days.get(retro["team_id"], RETRO_REMINDER_DAYS_BEFORE),
        )
        if send_at > until:
            continue
        occasion = retro["starts_at"].isoformat()
        local = retro["starts_at"].astimezone(ZoneInfo(retro["time_zone"] or "UTC"))
        due.extend(
            Due(
                kind=KIND,
                team_id=retro["team_id"],
                object_id=retro["pk"],
                user_id=user_id,
                occasion=occasion,
                send_at=send_at,
                summary=f"Retro on {local:%a} {local.day} {local:%b %H:%M}",
            )
            for user_id in members[retro["team_id"]]
        )
    return due


def _board_url(retro: Retro) -> str:
    return absolute_url(retro.get_absolute_url())


def _invite(retro: Retro, url: str) -> str:
    """The retro as a calendar invite: the same event (and UID) as the team's feed."""
    calendar = calendar_new(name=f"{retro.team.name} retros")
    calendar.add("method", "PUBLISH")
    calendar.add_component(retro_event(retro=retro, url=url, stamp=retro.created_at))
    return calendar.to_ical().decode()


def render(rows: list[Reminder]) -> dict[int, Message]:
    retros = {
        r.pk: r
        for r in Retro.objects.filter(pk__in={row.object_id for row in rows}).select_related("team")
    }
    teams = {r.team_id for r in retros.values()}
    open_items = defaultdict(list)
    for item in (
        RetroActionItem.objects.filter(retro__team_id__in=teams, status=ActionItemStatus.OPEN)
        .select_related("owner", "retro")
        .order_by("retro__starts_at", "pk")
    ):
        open_items[item.retro.team_id].append(item)
    messages = {}
    for row in rows:
        retro = retros.get(row.object_id)
        # Skipped or moved since it was planned: the moved retro gets its own reminder.
        if retro is None or retro.skipped or retro.starts_at.isoformat() != row.occasion:
            continue
        team = retro.team
        local = retro.starts_at.astimezone(row.zone)
        day = f"{local:%a} {local.day} {local:%b}"
        url = _board_url(retro)
        items = [
            Link(
                item.text
                + (f" — {item.owner.get_full_name() or item.owner.email}" if item.owner else "")
                + (f", due {item.due_date:%d %b}" if item.due_date else "")
            )
            for item in open_items[team.pk]
            if item.retro.starts_at < retro.starts_at
        ]
        lines = [
            f"{team.name}'s retro is on {day} at {local:%H:%M} ({local.tzname()}, "
            f"{row.zone.key}), for {retro.duration_minutes} minutes.",
            "Add your cards before it starts: what went well, what to improve, ideas.",
        ]
        if items:
            lines.append("Open action items from earlier retros, to review:")
        messages[row.pk] = Message(
            subject=f"[{team.slug.upper()}] Retro on {day} — add your cards",
            heading=f"Retro on {day} at {local:%H:%M}",
            lines=lines,
            items=items,
            action=Link("Add your cards", url),
            attachments=[Attachment("retro.ics", _invite(retro, url), "text/calendar")],
        )
    return messages


KIND_SPEC = Kind(
    key=KIND,
    label="Retro reminders",
    description="A few days before each retro: the date, the open action items, a link to "
    "add your cards and a calendar invite.",
    find=find,
    render=render,
    roles=REMINDED_ROLES,
)
