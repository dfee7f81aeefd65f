"""What proposals add to a team's calendar feed: when voting on each open proposal closes.

Registered into ``practices.registries`` from ``ProposalsConfig.ready()``; the feed reads
the registry and never imports proposals.
"""

import datetime as dt
from collections.abc import Callable

import icalendar

from practices.models import Team
from practices.registries import CalendarSource
from proposals.models import Proposal, Status


def proposal_calendar_events(
    *, team: Team, stamp: dt.datetime, absolute: Callable[[str], str]
) -> list[icalendar.Event]:
    proposals = Proposal.objects.filter(team=team, status=Status.OPEN).select_related("team")
    events = []
    for proposal in proposals:
        event = icalendar.Event()
        event.add("uid", f"proposal-{proposal.pk}-due@teamlead")
        event.add("dtstamp", stamp)
        event.add("dtstart", proposal.due_at)
        event.add("dtend", proposal.due_at)
        event.add("summary", f"[{team.slug.upper()}] {proposal.code} due: {proposal.title}")
        event.add("url", absolute(proposal.get_absolute_url()))
        event.add("transp", "TRANSPARENT")
        events.append(event)
    return events


PROPOSALS_DUE = CalendarSource(key="proposals_due", order=20, events=proposal_calendar_events)
