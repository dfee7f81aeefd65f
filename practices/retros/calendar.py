"""A team's calendar feed: every calendar source's events in one calendar.

The sources register in ``practices.registries``: retros (here), charter milestones
(``practices.charter.calendar``), and what other apps add (proposals' due dates).
"""

from collections.abc import Callable
from datetime import datetime

import icalendar
from django.http import HttpRequest
from django.utils import timezone

from practices import registries
from practices.models import Team
from practices.retros import ics
from practices.retros.selectors import retro_list_for_calendar


def retro_calendar_events(
    *, team: Team, stamp: datetime, absolute: Callable[[str], str]
) -> list[icalendar.Event]:
    events = []
    for retro in retro_list_for_calendar(team=team):
        retro.team = team
        # The same event (UID, SEQUENCE, DTSTAMP of its last change) as emailed invites.
        events.append(ics.retro_event(retro=retro, url=absolute(retro.get_absolute_url())))
    return events


RETROS = registries.CalendarSource(key="retros", order=10, events=retro_calendar_events)


def team_calendar_build(*, team: Team, request: HttpRequest) -> icalendar.Calendar:
    calendar = ics.calendar_new(name=f"{team.name} (Teamlead)")
    events = registries.calendar_event_list(
        team=team, stamp=timezone.now(), absolute=request.build_absolute_uri
    )
    for event in events:
        calendar.add_component(event)
    return calendar
