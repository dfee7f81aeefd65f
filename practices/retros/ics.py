"""Retros as iCalendar events: for the team's calendar feed and for email invites.

Both carry the same event: one UID per retro, whatever happens to it, and the retro's
SEQUENCE, raised by every change, so a calendar replaces its copy instead of adding
a second one. An emailed invite is an iTIP message (RFC 5546): METHOD:REQUEST for
the retro as it now is, METHOD:CANCEL once it is skipped.
"""

from datetime import datetime
from email.utils import parseaddr

import icalendar
from django.conf import settings

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
    """One retro as an event; its UID stays the same when it moves, so calendars update.

    DTSTAMP is when this version of the event was made (its last change), unless
    ``stamp`` says otherwise.
    """
    event = icalendar.Event()
    event.add("uid", f"retro-{retro.pk}@teamlead")
    event.add("sequence", retro.sequence)
    event.add("dtstamp", stamp or retro.changed_at or retro.created_at)
    event.add("dtstart", retro.starts_at)
    event.add("dtend", retro.ends_at)
    event.add("summary", f"[{retro.team.slug.upper()}] Retro")
    if retro.skipped:
        event.add("description", f"Skipped; the next retros stay as they are. {url}")
    else:
        event.add("description", f"Add your cards before the retro: {url}")
    event.add("url", url)
    event.add("status", "CANCELLED" if retro.skipped else "CONFIRMED")
    return event


def retro_invite_method(retro: Retro) -> str:
    return "CANCEL" if retro.skipped else "REQUEST"


def retro_invite(*, retro: Retro, url: str, attendee: str) -> str:
    """The retro as an emailed invite to ``attendee``: a request, or a cancellation."""
    calendar = calendar_new(name=f"{retro.team.name} retros")
    calendar.add("method", retro_invite_method(retro))
    event = retro_event(retro=retro, url=url)
    # iTIP needs an organizer; the app's sender stands for the team.
    organizer = icalendar.vCalAddress(f"mailto:{parseaddr(settings.DEFAULT_FROM_EMAIL)[1]}")
    organizer.params["cn"] = icalendar.vText(f"{retro.team.name} (Teamlead)")
    event.add("organizer", organizer)
    guest = icalendar.vCalAddress(f"mailto:{attendee}")
    guest.params["role"] = icalendar.vText("REQ-PARTICIPANT")
    guest.params["rsvp"] = icalendar.vText("FALSE")
    event.add("attendee", guest)
    calendar.add_component(event)
    return calendar.to_ical().decode()
