"""The weekly retro reminder, and the updates to its calendar invite.

The reminder goes to every lead and member a few days (per team) before each retro,
at the retro's local time of day, N days earlier on the calendar of the retro's time
zone, so a daylight-saving change in between moves it with the wall clock, not by an
hour. It carries the date in the reader's time zone, the team's open action items, a
link to add cards and a calendar invite (``practices.retros.ics``).

Each person gets that invite once per retro. When the retro changes afterwards (a
lead moves or skips it, or a new cadence moves it), the retro's SEQUENCE goes up and
everyone who holds the invite gets one update: "moved from … to …" with the same
event (same UID, higher SEQUENCE, METHOD:REQUEST), or a cancellation
(METHOD:CANCEL). Both are rows of this kind, so the unique key (kind, retro, person,
occasion) sends each at most once: the invite's occasion is the retro's start (and
sequence), an update's is ``update #<sequence>``. What a person was told last is read
from their sent rows, so the update says what changed for them.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse

from practices.emails import absolute_url
from practices.models import (
    CONTRIBUTING_ROLES,
    RETRO_REMINDER_DAYS_BEFORE,
    RETRO_REMINDER_MAX_DAYS_BEFORE,
    ActionItemStatus,
    Membership,
    Reminder,
    ReminderState,
    ReminderTeamSettings,
    Retro,
    RetroActionItem,
)
from practices.reminders.kinds import Attachment, Due, Kind, Link, Message
from practices.retros.ics import retro_invite, retro_invite_method
from practices.retros.services import RETRO_REMINDER_KIND
from practices.web import person_name

KIND = RETRO_REMINDER_KIND
UPDATE = "update #"


def remind_at(*, starts_at: datetime, time_zone: str, days_before: int) -> datetime:
    """``days_before`` calendar days before ``starts_at``, at the same local time."""
    zone = ZoneInfo(time_zone or "UTC")
    local = starts_at.astimezone(zone)
    earlier = datetime.combine(local.date() - timedelta(days=days_before), local.timetz())
    # Rebuilt from the wall clock so the UTC offset is the one of the earlier day.
    return earlier.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def invite_occasion(*, starts_at: datetime, sequence: int) -> str:
    """The invite's occasion: a retro that changed before its invite went is a new one."""
    when = starts_at.isoformat()
    return when if not sequence else f"{when} #{sequence}"


def update_occasion(sequence: int) -> str:
    return f"{UPDATE}{sequence}"


def _state(retro: dict) -> dict[str, Any]:
    """What an invite or update tells of the retro, kept in the row's payload."""
    return {
        "sequence": retro["sequence"],
        "starts_at": retro["starts_at"].isoformat(),
        "minutes": retro["duration_minutes"],
        "skipped": retro["skipped"],
    }


def _told(row: tuple[str, dict]) -> dict[str, Any]:
    occasion, payload = row
    if payload.get("sequence") is not None:
        return {key: payload.get(key) for key in ("sequence", "starts_at", "minutes", "skipped")}
    # Sent before payloads were kept: the occasion is the start, the sequence 0.
    return {"sequence": 0, "starts_at": occasion, "minutes": None, "skipped": False}


def _told_map(retro_ids) -> dict[tuple[int, int], dict[str, Any]]:
    """(retro, person) → the latest state of the retro the person was sent (one query)."""
    told: dict[tuple[int, int], dict[str, Any]] = {}
    for object_id, user_id, occasion, payload in Reminder.objects.filter(
        kind=KIND, object_id__in=list(retro_ids), state=ReminderState.SENT
    ).values_list("object_id", "user_id", "occasion", "payload"):
        state = _told((occasion, payload or {}))
        key = (object_id, user_id)
        if key not in told or state["sequence"] >= told[key]["sequence"]:
            told[key] = state
    return told


def _days_before_map(team_ids) -> dict[int, int]:
    return dict(
        ReminderTeamSettings.objects.filter(team_id__in=team_ids).values_list(
            "team_id", "retro_days_before"
        )
    )


def _when(moment: datetime, zone: ZoneInfo) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def find(*, now: datetime, until: datetime, team_ids=None) -> list[Due]:
    window = until + timedelta(days=RETRO_REMINDER_MAX_DAYS_BEFORE)
    retros = Retro.objects.filter(starts_at__gt=now).filter(
        # Invites go for retros close enough; updates for any retro changed since.
        Q(skipped=False, starts_at__lte=window) | Q(sequence__gt=0, changed_at__lte=until)
    )
    if team_ids is not None:
        retros = retros.filter(team_id__in=list(team_ids))
    fields = ("pk", "team_id", "starts_at", "time_zone", "duration_minutes", "skipped")
    retros = list(retros.values(*fields, "sequence", "changed_at"))
    if not retros:
        return []
    teams = {r["team_id"] for r in retros}
    days = _days_before_map(teams)
    told = _told_map(r["pk"] for r in retros)
    members = defaultdict(list)
    for team_id, user_id in Membership.objects.filter(
        team_id__in=teams, role__in=CONTRIBUTING_ROLES
    ).values_list("team_id", "user_id"):
        members[team_id].append(user_id)
    due = []
    for retro in retros:
        for user_id in members[retro["team_id"]]:
            was = told.get((retro["pk"], user_id))
            item = (
                _invite_due(retro, user_id, days=days, until=until)
                if was is None
                else _update_due(retro, user_id, was=was)
            )
            if item is not None:
                due.append(item)
    return due


def _invite_due(retro: dict, user_id: int, *, days: dict, until: datetime) -> Due | None:
    if retro["skipped"]:
        return None
    send_at = remind_at(
        starts_at=retro["starts_at"],
        time_zone=retro["time_zone"],
        days_before=days.get(retro["team_id"], RETRO_REMINDER_DAYS_BEFORE),
    )
    if send_at > until:
        return None
    local = retro["starts_at"].astimezone(ZoneInfo(retro["time_zone"] or "UTC"))
    return Due(
        kind=KIND,
        team_id=retro["team_id"],
        object_id=retro["pk"],
        user_id=user_id,
        occasion=invite_occasion(starts_at=retro["starts_at"], sequence=retro["sequence"]),
        send_at=send_at,
        summary=f"Retro on {local:%a} {local.day} {local:%b %H:%M}",
        payload=_state(retro),
    )


def _update_due(retro: dict, user_id: int, *, was: dict) -> Due | None:
    now_state = _state(retro)
    if was["sequence"] >= retro["sequence"]:
        return None  # what they hold is current
    same = {k: v for k, v in was.items() if k != "sequence"} == {
        k: v for k, v in now_state.items() if k != "sequence"
    }
    if same or (was["skipped"] and retro["skipped"]):
        return None  # moved and moved back, or still skipped: their calendar is right
    zone = ZoneInfo(retro["time_zone"] or "UTC")
    summary = (
        f"Retro on {_when(retro['starts_at'], zone)} cancelled"
        if retro["skipped"]
        else f"Retro moved to {_when(retro['starts_at'], zone)}"
    )
    return Due(
        kind=KIND,
        team_id=retro["team_id"],
        object_id=retro["pk"],
        user_id=user_id,
        occasion=update_occasion(retro["sequence"]),
        send_at=retro["changed_at"],
        summary=summary,
        payload={**now_state, "was": was},
    )


def _board_url(retro: Retro) -> str:
    return absolute_url(retro.get_absolute_url())


def _open_items(retros) -> dict[int, list[RetroActionItem]]:
    teams = {r.team_id for r in retros}
    open_items = defaultdict(list)
    for item in (
        RetroActionItem.objects.filter(retro__team_id__in=teams, status=ActionItemStatus.OPEN)
        .select_related("owner", "retro")
        .order_by("retro__starts_at", "pk")
    ):
        open_items[item.retro.team_id].append(item)
    return open_items


def render(rows: list[Reminder]) -> dict[int, Message]:
    retros = {
        r.pk: r
        for r in Retro.objects.filter(pk__in={row.object_id for row in rows}).select_related("team")
    }
    invites = [r for r in rows if not r.occasion.startswith(UPDATE)]
    open_items = _open_items(retros.values()) if invites else {}
    messages = {}
    for row in rows:
        retro = retros.get(row.object_id)
        if retro is None:
            continue
        if row.occasion.startswith(UPDATE):
            # Changed again since it was planned: the newer update goes instead.
            if row.occasion == update_occasion(retro.sequence):
                messages[row.pk] = _update_message(row, retro)
        # Skipped, moved or changed since it was planned: the invite is planned anew.
        elif not retro.skipped and row.occasion == invite_occasion(
            starts_at=retro.starts_at, sequence=retro.sequence
        ):
            messages[row.pk] = _invite_message(row, retro, open_items[retro.team_id])
    return messages


def _attachment(row: Reminder, retro: Retro, url: str) -> Attachment:
    content = retro_invite(retro=retro, url=url, attendee=row.user.email)
    # The method on the MIME type too: some mail apps read only that.
    return Attachment("retro.ics", content, f"text/calendar; method={retro_invite_method(retro)}")


def _invite_message(row: Reminder, retro: Retro, open_items: list) -> Message:
    team = retro.team
    local = retro.starts_at.astimezone(row.zone)
    day = f"{local:%a} {local.day} {local:%b}"
    url = _board_url(retro)
    items = [
        Link(
            item.text
            + (f" — {person_name(item.owner)}" if item.owner else "")
            + (f", due {item.due_date:%d %b}" if item.due_date else "")
        )
        for item in open_items
        if item.retro.starts_at < retro.starts_at
    ]
    lines = [
        # "Payments retro", not "Payments's retro": the name is not made possessive.
        f"The {team.name} retro is on {day} at {local:%H:%M} ({local.tzname()}, "
        f"{row.zone.key}), for {retro.duration_minutes} minutes.",
        "Add your cards before it starts: what went well, what to improve, ideas.",
    ]
    if items:
        lines.append("Open action items from earlier retros, to review:")
    return Message(
        subject=f"[{team.slug.upper()}] Retro on {day} — add your cards",
        heading=f"Retro on {day} at {local:%H:%M}",
        lines=lines,
        items=items,
        action=Link("Add your cards", url),
        attachments=[_attachment(row, retro, url)],
    )


def _update_message(row: Reminder, retro: Retro) -> Message:
    """The change, told in the retro's (the team's) time zone: "moved from … to …"."""
    team = retro.team
    zone = retro.tzinfo
    was = row.payload["was"]
    was_at = datetime.fromisoformat(was["starts_at"])
    now_at, then_at = _when(retro.starts_at, zone), _when(was_at, zone)
    tag = f"[{team.slug.upper()}]"
    url = _board_url(retro)
    if retro.skipped:
        local = retro.starts_at.astimezone(zone)
        day = f"{local:%a} {local.day} {local:%b}"
        return Message(
            subject=f"{tag} Retro on {day} cancelled",
            heading=f"Retro on {day} cancelled",
            lines=[
                f"The {team.name} retro on {now_at} ({zone.key}) is skipped; "
                "the next retros stay as they are.",
                "The attached cancellation takes it out of your calendar.",
            ],
            action=Link(
                "See the team's retros",
                absolute_url(reverse("practices:retros", args=[team.slug])),
            ),
            attachments=[_attachment(row, retro, url)],
        )
    lines = []
    if was["skipped"]:
        subject = f"{tag} Retro on {now_at} is back on"
        lines.append(f"The {team.name} retro on {now_at} ({zone.key}) is held after all.")
        if was_at != retro.starts_at:
            lines.append(f"It moved from {then_at} to {now_at}.")
    elif was_at != retro.starts_at:
        subject = f"{tag} Retro moved to {now_at}"
        lines.append(f"The {team.name} retro moved from {then_at} to {now_at} ({zone.key}).")
    else:
        subject = f"{tag} Retro on {now_at} now takes {retro.duration_minutes} minutes"
    if was["minutes"] is not None and was["minutes"] != retro.duration_minutes:
        lines.append(f"It now takes {retro.duration_minutes} minutes instead of {was['minutes']}.")
    lines.append("The attached invite updates the one in your calendar.")
    return Message(
        subject=subject,
        heading=subject.removeprefix(f"{tag} "),
        lines=lines,
        action=Link("Open the board", url),
        attachments=[_attachment(row, retro, url)],
    )


KIND_SPEC = Kind(
    key=KIND,
    label="Retro reminders",
    description="A few days before each retro: the date, the open action items, a link to "
    "add your cards and a calendar invite; if the retro then moves or is skipped, an "
    "update to that invite.",
    find=find,
    render=render,
    roles=CONTRIBUTING_ROLES,
)
