"""What the sync tests share: running a sync, and reading what it stored and asked."""

from django.db.models import Count

from practices.jira.sync import jira_sync
from practices.models import JiraConnection, JiraSyncRun, JiraTicket
from tests.jira.fake_jira import FakeJira


def sync(connection: JiraConnection, **options) -> JiraSyncRun:
    connection.refresh_from_db()
    return jira_sync(connection=connection, trigger="test", **options)


def search_jqls(fake: FakeJira) -> list[str]:
    return [query["jql"][0] for _, path, query in fake.requests if "search" in path]


def stored(connection: JiraConnection) -> dict[str, JiraTicket]:
    return {t.key: t for t in JiraTicket.objects.filter(connection=connection)}


def assert_no_duplicates(connection: JiraConnection) -> None:
    tickets = JiraTicket.objects.filter(connection=connection)
    assert not tickets.values("jira_id").annotate(n=Count("id")).filter(n__gt=1).exists()
    assert not tickets.values("key").annotate(n=Count("id")).filter(n__gt=1).exists()
