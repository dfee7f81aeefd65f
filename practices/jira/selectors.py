"""Reads about Jira, each in a fixed number of queries whatever the number of tickets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from practices.jira.jql import jql_project_key
from practices.jira.store import TICKET_COLUMNS
from practices.models import (
    JiraConnection,
    JiraSyncOutcome,
    JiraSyncRun,
    JiraTicket,
    StatusCategory,
    Team,
)

# The list's columns that sort, and how; ties fall back to the newest Jira id.
SORTS = {
    "updated": ("updated",),
    "created": ("created",),
    "key": ("jira_id",),
    "status": ("status", "updated"),
    "type": ("issue_type", "updated"),
    "assignee": ("assignee_name", "updated"),
    "priority": ("priority", "updated"),
}
DEFAULT_SORT = "-updated"
BOARD_COLUMNS = (StatusCategory.TO_DO, StatusCategory.IN_PROGRESS, StatusCategory.DONE)
UNASSIGNED = "none"
# The list reads the stored ticket's own columns (``store.TICKET_COLUMNS``) but these.
_NOT_LISTED = {
    "assignee_account_id",
    "reporter_account_id",
    "reporter_name",
    "components",
    "created",
    "resolved",
}
LIST_FIELDS = (
    "jira_id",
    *(column for column in TICKET_COLUMNS if column not in _NOT_LISTED),
    "status_entered_at",
)


@dataclass(frozen=True)
class TicketFilters:
    category: str = ""
    status: str = ""
    issue_type: str = ""
    assignee: str = ""
    label: str = ""
    text: str = ""
    sort: str = DEFAULT_SORT

    @property
    def active(self) -> bool:
        return any(
            (self.category, self.status, self.issue_type, self.assignee, self.label, self.text)
        )


def jira_connection_for_team(*, team: Team) -> JiraConnection | None:
    return JiraConnection.objects.filter(team=team).first()


def jira_ticket_queryset(*, connection: JiraConnection) -> QuerySet[JiraTicket]:
    return JiraTicket.objects.filter(connection=connection, gone=False)


def jira_ticket_list(*, connection: JiraConnection, filters: TicketFilters) -> QuerySet[JiraTicket]:
    tickets = jira_ticket_queryset(connection=connection)
    if filters.category:
        tickets = tickets.filter(status_category=filters.category)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.issue_type:
        tickets = tickets.filter(issue_type=filters.issue_type)
    if filters.assignee == UNASSIGNED:
        tickets = tickets.filter(assignee_account_id="")
    elif filters.assignee:
        tickets = tickets.filter(assignee_account_id=filters.assignee)
    if filters.label:
        tickets = tickets.filter(labels__contains=f" {filters.label} ")
    if filters.text:
        tickets = tickets.filter(Q(summary__icontains=filters.text) | Q(key__iexact=filters.text))
    descending = filters.sort.startswith("-")
    columns = SORTS.get(filters.sort.lstrip("-"), SORTS["updated"])
    order = [f"-{column}" if descending else column for column in columns]
    return tickets.order_by(*order, "-jira_id").only(*LIST_FIELDS)


def jira_ticket_status_counts(*, connection: JiraConnection) -> list[dict]:
    """[{status, status_category, count}], in board order, then by how many."""
    rows = list(
        jira_ticket_queryset(connection=connection)
        .values("status", "status_category")
        .annotate(count=Count("id"))
        .order_by("status")
    )
    rank = {category: index for index, category in enumerate(BOARD_COLUMNS)}
    rows.sort(key=lambda row: (rank.get(row["status_category"], len(rank)), -row["count"]))
    return rows


def jira_ticket_choices(*, connection: JiraConnection) -> tuple[list[str], list[tuple[str, str]]]:
    """The issue types and the assignees (account id, name) present, for the filters."""
    tickets = jira_ticket_queryset(connection=connection)
    types = list(tickets.order_by("issue_type").values_list("issue_type", flat=True).distinct())
    assignees = list(
        tickets.exclude(assignee_account_id="")
        .order_by("assignee_name", "assignee_account_id")
        .values_list("assignee_account_id", "assignee_name")
        .distinct()
    )
    return types, assignees


def jira_ticket_board(
    *, connection: JiraConnection, filters: TicketFilters, per_column: int = 12
) -> list[tuple[str, str, int, list[JiraTicket]]]:
    """(category, title, count, newest tickets) per board column, one query per column."""
    tickets = jira_ticket_list(connection=connection, filters=filters)
    counts = dict(tickets.order_by().values_list("status_category").annotate(count=Count("id")))
    labels = dict(StatusCategory.choices)
    return [
        (
            category,
            labels[category],
            counts.get(category, 0),
            list(tickets.filter(status_category=category)[:per_column]),
        )
        for category in BOARD_COLUMNS
    ]


def jira_status_names(*, connection: JiraConnection) -> list[str]:
    """Every status name among the local tickets, for choosing the "in review" ones."""
    return list(
        JiraTicket.objects.filter(connection=connection)
        .order_by("status")
        .values_list("status", flat=True)
        .distinct()
    )


def jira_sync_run_list(*, connection: JiraConnection, limit: int = 10) -> list[JiraSyncRun]:
    return list(JiraSyncRun.objects.filter(connection=connection)[:limit])


def jira_sync_run_last_finished(*, connection: JiraConnection) -> JiraSyncRun | None:
    return (
        JiraSyncRun.objects.filter(connection=connection)
        .exclude(outcome=JiraSyncOutcome.RUNNING)
        .first()
    )


def jira_project_for_new_tickets(*, connection: JiraConnection) -> str:
    """Where tickets made from Teamlead go: the filter's first project, else the project
    of the newest synced ticket; "" when neither says."""
    key = jql_project_key(connection.jql)
    if key:
        return key
    newest = (
        JiraTicket.objects.filter(connection=connection, gone=False)
        .order_by("-updated")
        .values_list("key", flat=True)
        .first()
    )
    return newest.rsplit("-", 1)[0] if newest and "-" in newest else ""


def jira_ticket_list_finished(
    *, team_id: int, since: datetime | None, until: datetime
) -> QuerySet[JiraTicket]:
    """Tickets of the team's Jira filter resolved after ``since`` (if any), up to ``until``."""
    tickets = JiraTicket.objects.filter(
        connection__team=team_id,
        gone=False,
        status_category=StatusCategory.DONE,
        resolved__isnull=False,
        resolved__lte=until,
    )
    if since is not None:
        tickets = tickets.filter(resolved__gt=since)
    return tickets.order_by("-resolved", "key")
