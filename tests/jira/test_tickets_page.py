"""The team's tickets page: the cached copy, filters, sorting, the board, sync state."""

import re
from datetime import timedelta

import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from practices.jira.sync import jira_sync
from practices.models import JiraConnection, JiraTicket
from tests.factories import make_jira_connection
from tests.jira.conftest import connect

pytestmark = pytest.mark.django_db

URL = reverse("practices:tickets", args=["pay"])


@pytest.fixture
def synced(people, fake_jira):
    fake_jira.add(120)
    issues = fake_jira.issues
    fake_jira.touch(
        issues[10000],
        summary="Refunds double-count fees",
        status="In Review",
        assignee=1,
        labels=["billing"],
        issue_type="Bug",
    )
    fake_jira.touch(
        issues[10001],
        summary="Payout export times out",
        status="To Do",
        assignee=None,
        labels=["backend"],
        issue_type="Task",
    )
    connection = connect(people.team, fake_jira)
    jira_sync(connection=connection, trigger="test")
    connection.refresh_from_db()
    return connection


def keys(response) -> list[str]:
    return [ticket.key for ticket in response.context["page"]]


def test_without_a_connection_leads_are_asked_to_connect_and_members_told_who_can(
    people, client_for
):
    lead_page = client_for(people.lead).get(URL).text
    assert "No Jira site connected yet" in lead_page
    assert reverse("practices:jira_connection", args=["pay"]) in lead_page
    member_page = client_for(people.member).get(URL).text
    assert "A lead of Payments can connect" in member_page
    assert reverse("practices:jira_connection", args=["pay"]) not in member_page


def test_before_the_first_sync_the_page_says_it_is_coming(people, client_for):
    make_jira_connection(people.team)
    page = client_for(people.member).get(URL).text
    assert "The first sync is on its way" in page
    assert "Not synced yet." in page


def test_members_see_the_tickets_with_counts_and_links_to_jira(people, client_for, synced):
    response = client_for(people.observer).get(URL)
    assert response.status_code == 200
    assert response.context["page"].paginator.count == 120
    assert len(keys(response)) == 50
    assert keys(response)[:2] == ["PAY-2", "PAY-1"], "newest update first"
    first = JiraTicket.objects.get(key="PAY-1")
    assert f'href="{first.url}" rel="noopener noreferrer" target="_blank"' in response.text
    counts = {row["status"]: row["count"] for row in response.context["status_counts"]}
    assert sum(counts.values()) == 120 and counts["In Review"] >= 1
    # Synced a moment ago: said as a person would, not "0 minutes ago".
    assert re.search(r"Synced <time[^>]*>just now</time>", response.text)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "refunds double"}, ["PAY-1"]),
        ({"q": "pay-2"}, ["PAY-2"]),
        ({"label": "billing", "type": "Bug", "q": "double-count"}, ["PAY-1"]),
        ({"status": "In Review", "q": "double-count"}, ["PAY-1"]),
        ({"assignee": "none", "q": "payout export"}, ["PAY-2"]),
        ({"assignee": "5b10ac8d82e05b22cc7d4ef5", "q": "double-count"}, ["PAY-1"]),
        ({"category": "new", "q": "payout export"}, ["PAY-2"]),
        ({"category": "done", "q": "payout export"}, []),
    ],
)
def test_filters_narrow_the_list(people, client_for, synced, query, expected):
    assert keys(client_for(people.member).get(URL, query)) == expected


def test_filters_combine_and_every_result_matches(people, client_for, synced):
    response = client_for(people.member).get(URL, {"category": "indeterminate", "type": "Bug"})
    tickets = list(response.context["page"])
    assert tickets
    assert {(t.status_category, t.issue_type) for t in tickets} == {("indeterminate", "Bug")}


def test_columns_sort_both_ways_and_unknown_input_is_ignored(people, client_for, synced):
    client = client_for(people.member)
    ascending = keys(client.get(URL, {"sort": "key"}))
    assert ascending[:3] == ["PAY-1", "PAY-2", "PAY-3"]
    assert keys(client.get(URL, {"sort": "-key"}))[0] == "PAY-120"
    statuses = [t.status for t in client.get(URL, {"sort": "status"}).context["page"]]
    assert statuses == sorted(statuses)
    response = client.get(URL, {"sort": "password", "category": "<script>", "page": "x"})
    assert response.status_code == 200
    assert response.context["page"].number == 1


def test_the_list_is_paginated(people, client_for, synced):
    client = client_for(people.member)
    last = client.get(URL, {"page": 3, "sort": "key"})
    assert keys(last)[-1] == "PAY-120"
    assert len(keys(last)) == 20
    assert "Page 3 of 3" in last.text


def test_the_board_shows_the_newest_tickets_per_status_category(people, client_for, synced):
    response = client_for(people.member).get(URL, {"view": "board"})
    board = response.context["board"]
    assert [column[0] for column in board] == ["new", "indeterminate", "done"]
    assert sum(count for _, _, count, _ in board) == 120
    for category, _title, _count, tickets in board:
        assert len(tickets) <= 12
        assert {t.status_category for t in tickets} <= {category}
    assert "All " in response.text and "in the list" in response.text


def test_htmx_filtering_swaps_only_the_results(people, client_for, synced):
    response = client_for(people.member).get(URL, {"q": "refunds"}, HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div id="ticket-results">')
    assert "<html" not in response.text
    assert response["Vary"] == "HX-Request, Cookie" or "HX-Request" in response["Vary"]


def test_no_match_says_so_and_offers_to_clear_the_filters(people, client_for, synced):
    page = client_for(people.member).get(URL, {"q": "no such words"}).text
    assert "No tickets match" in page
    assert "Clear the filters" in page


def test_gone_tickets_are_not_listed(people, client_for, synced):
    JiraTicket.objects.filter(key="PAY-1").update(gone=True)
    assert "PAY-1" not in keys(client_for(people.member).get(URL, {"q": "PAY-1"}))


def test_a_failed_sync_is_reported_and_the_last_good_copy_still_shown(
    people, client_for, synced, fake_jira
):
    fake_jira.fail("search", status=503, times=10)
    jira_sync(connection=synced, trigger="test")
    response = client_for(people.member).get(URL)
    assert "The last sync failed" in response.text
    assert "Jira failed to answer search (503)" in response.text
    assert "Below is the last good copy, from" in response.text
    assert response.context["page"].paginator.count == 120


def test_a_paused_sync_tells_members_a_lead_must_fix_it(people, client_for, synced):
    JiraConnection.objects.filter(pk=synced.pk).update(
        needs_attention=True, attention_message="Jira refused the credentials (401 Unauthorized)."
    )
    page = client_for(people.member).get(URL).text
    assert "Syncing is paused:" in page
    assert "A lead needs to fix the connection." in page


def test_synced_ago_reads_like_a_person_would_say_it(people, client_for, synced):
    JiraConnection.objects.filter(pk=synced.pk).update(
        last_success_at=timezone.now() - timedelta(minutes=7, seconds=5)
    )
    assert "Synced <time" in (page := client_for(people.member).get(URL).text)
    assert "7\xa0minutes ago" in page


def bulk_tickets(connection: JiraConnection, count: int, start: int) -> None:
    now = timezone.now()
    statuses = [
        ("To Do", "new"),
        ("In Progress", "indeterminate"),
        ("In Review", "indeterminate"),
        ("Done", "done"),
    ]
    rows = []
    for n in range(start, start + count):
        status, category = statuses[n % 4]
        rows.append(
            JiraTicket(
                connection=connection,
                jira_id=100000 + n,
                key=f"PAY-{n}",
                summary=f"Ticket number {n}",
                issue_type=("Bug", "Story", "Task")[n % 3],
                status=status,
                status_category=category,
                priority="Medium",
                assignee_account_id=f"acct-{n % 40}",
                assignee_name=f"Person {n % 40}",
                labels=" backend " if n % 2 else "",
                created=now - timedelta(minutes=n),
                updated=now - timedelta(minutes=n),
                status_entered_at=now - timedelta(minutes=n),
                url=f"https://jira.example.com/browse/PAY-{n}",
                synced_at=now,
            )
        )
    JiraTicket.objects.bulk_create(rows, batch_size=5000)


def test_the_page_makes_as_many_queries_for_50000_tickets_as_for_100(people, client_for):
    connection = make_jira_connection(people.team)
    client = client_for(people.member)
    views = [{}, {"view": "board"}, {"category": "indeterminate", "sort": "assignee", "page": "2"}]

    def counts():
        found = []
        for query in views:
            with CaptureQueriesContext(db) as captured:
                assert client.get(URL, query).status_code == 200
            found.append(len(captured))
        return found

    bulk_tickets(connection, 100, 0)
    small = counts()
    bulk_tickets(connection, 49_900, 100)
    assert JiraTicket.objects.count() == 50_000
    assert counts() == small
    assert max(small) <= 14
