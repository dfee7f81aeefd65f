"""A team's calendar: retros, proposal due dates and charter milestones.

Temporary shape (issue 12, phase 1): it still reads ``proposals.models``. Phase 2 builds
the calendar from the calendar source registry (``practices.registries``).
"""

import datetime as dt
import hashlib

import icalendar
from django.http import HttpRequest
from django.utils import timezone

from practices.dates import EARLIEST, date_latest
from practices.models import CharterSection, Team
from practices.retros import ics
from practices.retros.selectors import retro_list_for_calendar
from proposals.models import Proposal, Status


def _milestone_events(*, team: Team, stamp: dt.datetime) -> list[icalendar.Event]:
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


def _proposal_events(*, team: Team, request: HttpRequest, stamp) -> list[icalendar.Event]:
    proposals = Proposal.objects.filter(team=team, status=Status.OPEN).select_related("team")
    events = []
    for proposal in proposals:
        event = icalendar.Event()
        event.add("uid", f"proposal-{proposal.pk}-due@teamlead")
        event.add("dtstamp", stamp)
        event.add("dtstart", proposal.due_at)
        event.add("dtend", proposal.due_at)
        event.add("summary", f"[{team.slug.upper()}] {proposal.code} due: {proposal.title}")
        event.add("url", request.build_absolute_uri(proposal.get_absolute_url()))
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


def team_calendar_build(*, team: Team, request: HttpRequest) -> icalendar.Calendar:
    stamp = timezone.now()
    calendar = ics.calendar_new(name=f"{team.name} (Teamlead)")
    for retro in retro_list_for_calendar(team=team):
        retro.team = team
        url = request.build_absolute_uri(retro.get_absolute_url())
        # The same event (UID, SEQUENCE, DTSTAMP of its last change) as emailed invites.
        calendar.add_component(ics.retro_event(retro=retro, url=url))
    for event in _proposal_events(team=team, request=request, stamp=stamp):
        calendar.add_component(event)
    for event in _milestone_events(team=team, stamp=stamp):
        calendar.add_component(event)
    return calendar
