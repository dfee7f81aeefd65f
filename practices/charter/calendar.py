"""What the charter adds to the team's calendar feed: its milestones, as all-day events.

Registered into ``practices.registries`` from ``PracticesConfig.ready()``.
"""

import datetime as dt
import hashlib
from collections.abc import Callable

import icalendar

from practices.dates import EARLIEST, date_latest
from practices.models import CharterSection, Team
from practices.registries import CalendarSource


def milestone_calendar_events(
    *, team: Team, stamp: dt.datetime, absolute: Callable[[str], str]
) -> list[icalendar.Event]:
    section = CharterSection.objects.filter(team=team, key="milestones").first()
    events = []
    for row in (section.data.get("rows") or []) if section else []:
        try:
            day = dt.date.fromisoformat(str(row.get("target_date")))
        except ValueError:
            continue
        # A date typed before dates were checked (9999-12-31) has no next day: it must
        # not take the feed down for every subscriber.
        if not EARLIEST <= day <= date_latest():
            continue
        name = row.get("name") or "Milestone"
        digest = hashlib.sha256(f"{name}|{day}".encode()).hexdigest()[:16]
        event = icalendar.Event()
        event.add("uid", f"milestone-{team.pk}-{digest}@teamlead")
        event.add("dtstamp", stamp)
        event.add("dtstart", day)
        event.add("dtend", day + dt.timedelta(days=1))
        done = " (done)" if row.get("done") else ""
        event.add("summary", f"[{team.slug.upper()}] Milestone: {name}{done}")
        if row.get("deliverable"):
            event.add("description", row["deliverable"])
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


MILESTONES = CalendarSource(key="milestones", order=30, events=milestone_calendar_events)
