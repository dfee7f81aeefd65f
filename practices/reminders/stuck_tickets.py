"""Stuck in review: Jira tickets in a review status longer than the charter's turnaround.

One digest per person, team and day (not one mail per ticket), to the assignee when
they can be matched to a member of the team, and to the team's leads.
"""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from practices.emails import absolute_url
from practices.models import (
    CONTRIBUTING_ROLES,
    JiraConnection,
    JiraTicket,
    Membership,
    Reminder,
    Role,
    StatusCategory,
    Team,
)
from practices.reminders.charter import review_turnaround_hours_map
from practices.reminders.kinds import Due, Kind, Link, Message

KIND = "stuck_review"


def _person_keys(member: dict) -> set[str]:
    full = f"{member['user__first_name']} {member['user__last_name']}".strip().lower()
    keys = {member["user__email"].lower(), member["user__username"].lower()}
    if full:
        keys.add(full)
    return {key for key in keys if key}


def _stuck_tickets(*, until: datetime, team_ids) -> list[dict]:
    connections = JiraConnection.objects.all()
    if team_ids is not None:
        connections = connections.filter(team_id__in=list(team_ids))
    chosen = {c.pk: c for c in connections.only("review_statuses")}
    if not chosen:
        return []
    turnaround = review_turnaround_hours_map(team_ids=team_ids)
    # The longest a ticket can have been in review before it counts: filter early in SQL.
    tickets = (
        JiraTicket.objects.filter(connection_id__in=chosen, gone=False)
        .exclude(status_category=StatusCategory.DONE)
        .filter(Q(connection__review_statuses__isnull=False) | Q(status__icontains="review"))
        .filter(status_entered_at__lte=until - timedelta(hours=1))
        .values(
            "pk",
            "connection_id",
            "connection__team_id",
            "status",
            "status_entered_at",
            "assignee_name",
            "assignee_account_id",
        )
    )
    stuck = []
    for ticket in tickets:
        connection = chosen[ticket["connection_id"]]
        if ticket["status"] not in connection.review_status_names([ticket["status"]]):
            continue
        hours = turnaround[ticket["connection__team_id"]]
        ticket["stuck_at"] = ticket["status_entered_at"] + timedelta(hours=hours)
        if ticket["stuck_at"] <= until:
            stuck.append(ticket)
    return stuck


def find(*, now: datetime, until: datetime, team_ids=None) -> list[Due]:
    stuck = _stuck_tickets(until=until, team_ids=team_ids)
    if not stuck:
        return []
    teams = {t["connection__team_id"] for t in stuck}
    zones = dict(Team.objects.filter(pk__in=teams).values_list("pk", "time_zone"))
    members = Membership.objects.filter(team_id__in=teams).values(
        "team_id", "user_id", "role", "user__email", "user__username", "user__first_name",
        "user__last_name",
    )  # fmt: skip
    by_key: dict[tuple[int, str], int] = {}
    leads: dict[int, list[int]] = defaultdict(list)
    for member in members:
        if member["role"] == Role.LEAD:
            leads[member["team_id"]].append(member["user_id"])
        if member["role"] not in CONTRIBUTING_ROLES:
            continue
        for key in _person_keys(member):
            by_key[(member["team_id"], key)] = member["user_id"]
    per_person: dict[tuple[int, int], list[dict]] = defaultdict(list)
    for ticket in stuck:
        team_id = ticket["connection__team_id"]
        recipients = set(leads[team_id])
        for key in (ticket["assignee_name"], ticket["assignee_account_id"]):
            found = by_key.get((team_id, (key or "").strip().lower()))
            if found:
                recipients.add(found)
        for user_id in recipients:
            per_person[(team_id, user_id)].append(ticket)
    due = []
    for (team_id, user_id), tickets in per_person.items():
        send_at = max(now, min(t["stuck_at"] for t in tickets))
        day = send_at.astimezone(ZoneInfo(zones.get(team_id) or "UTC")).date()
        due.append(
            Due(
                kind=KIND,
                team_id=team_id,
                object_id=team_id,
                user_id=user_id,
                occasion=day.isoformat(),
                send_at=send_at,
                summary=f"{len(tickets)} ticket(s) waiting in review past the turnaround",
                payload={"tickets": sorted(t["pk"] for t in tickets)},
            )
        )
    return due


def _age(delta: timedelta) -> str:
    hours = int(delta.total_seconds() // 3600)
    if hours < 48:
        return f"{hours} h"
    return f"{hours // 24} days"


def render(rows: list[Reminder]) -> dict[int, Message]:
    ids = {pk for row in rows for pk in row.payload.get("tickets", [])}
    tickets = {
        t.pk: t
        for t in JiraTicket.objects.filter(pk__in=ids, gone=False).exclude(
            status_category=StatusCategory.DONE
        )
    }
    turnaround = review_turnaround_hours_map(team_ids={row.team_id for row in rows})
    now = timezone.now()
    messages = {}
    for row in rows:
        still = [tickets[pk] for pk in row.payload.get("tickets", []) if pk in tickets]
        if not still:
            continue
        team = row.team
        hours = turnaround[team.pk]
        count = len(still)
        noun = "ticket" if count == 1 else "tickets"
        messages[row.pk] = Message(
            subject=f"[{team.slug.upper()}] {count} {noun} waiting in review past {hours} h",
            heading=f"{count} {noun} of {team.name} waiting in review",
            lines=[
                f"The team's charter expects reviews within {hours} hours. These have "
                f"waited longer:"
            ],
            items=[
                Link(
                    f"{t.key} {t.summary} — {t.status} for {_age(now - t.status_entered_at)}"
                    + (f", assigned to {t.assignee_name}" if t.assignee_name else ""),
                    t.url,
                )
                for t in sorted(still, key=lambda t: t.status_entered_at)
            ],
            action=Link(
                "Open the team's tickets",
                absolute_url(reverse("practices:tickets", kwargs={"slug": team.slug})),
            ),
        )
    return messages


KIND_SPEC = Kind(
    key=KIND,
    label="Tickets stuck in review",
    description="A daily digest of the team's Jira tickets waiting in review longer than "
    "the charter's turnaround, to the assignee and the leads.",
    find=find,
    render=render,
    roles=CONTRIBUTING_ROLES,
)
