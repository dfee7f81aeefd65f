"""Retros as iCalendar events: for the team's calendar feed and for email invites."""

from datetime import datetime

import icalendar
from django.utils import timezone

from practices.models import Retro

PRODID = "-//Teamlead//Teamlead calendar//EN"


def calendar_new(*, name: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    return calendar


def retro_event(*, retro: Retro, url: str, stamp: datetime | None = None) -> icalendar.Event:
    """One retro as an event; its UID stays the same when it moves, so calendars update."""
    event = icalendar.Event()
    event.add("uid", f"retro-{retro.pk}@teamlead")
    event.add("dtstamp", stamp or timezone.now())
    event.add("dtstart", retro.starts_at)
    event.add("dtend", retro.ends_at)
    event.add("summary", f"[{retro.team.slug.upper()}] Retro")
    event.add("description", f"Add your cards before the retro: {url}")
    event.add("url", url)
    event.add("status", "CANCELLED" if retro.skipped else "CONFIRMED")
    return event
