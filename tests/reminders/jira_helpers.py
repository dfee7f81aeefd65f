import datetime as dt

from practices.models import JiraTicket, StatusCategory
from tests.factories import make_jira_connection

_counter = iter(range(1, 1_000_000))


def stuck_ticket(team, *, key, assignee, entered, status="Code Review"):
    connection = getattr(team, "jira_connection", None) or make_jira_connection(team)
    number = next(_counter)
    return JiraTicket.objects.create(
        connection=connection,
        jira_id=number,
        key=key,
        summary=f"Ticket {key}",
        issue_type="Story",
        status=status,
        status_category=StatusCategory.DONE if status == "Done" else StatusCategory.IN_PROGRESS,
        assignee_name=assignee,
        created=entered - dt.timedelta(days=1),
        updated=entered,
        status_entered_at=entered,
        url=f"https://jira.example.com/browse/{key}",
        synced_at=entered,
    )
