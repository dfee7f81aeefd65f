"""The sync, through the real ``jira`` client over HTTP against the fake Jira."""

from datetime import UTC, datetime, timedelta

import pytest

from practices.jira.sync import full_sync_due
from practices.models import JiraSyncOutcome, JiraSyncRun, JiraTicket
from tests.jira.conftest import connect
from tests.jira.fake_jira import PEOPLE, FakeJira
from tests.jira.syncing import assert_no_duplicates, search_jqls, stored, sync

pytestmark = pytest.mark.django_db


# -- what is stored ----------------------------------------------------------------------


def test_the_first_sync_stores_every_ticket_with_the_fields_we_keep(team, fake_jira):
    fake_jira.add(230)
    special = fake_jira.issues[10007]
    fake_jira.touch(special, status="In Review", assignee=1, labels=["billing", "backend"])
    connection = connect(team, fake_jira)

    run = sync(connection)

    assert run.outcome == JiraSyncOutcome.SUCCEEDED
    assert (run.created, run.updated, run.skipped) == (230, 0, 0)
    tickets = stored(connection)
    assert len(tickets) == 230
    ticket = tickets[special.key]
    assert ticket.jira_id == special.id
    assert ticket.summary == special.summary
    assert (ticket.status, ticket.status_category) == ("In Review", "indeterminate")
    assert (ticket.assignee_account_id, ticket.assignee_name) == PEOPLE[1][::2]
    assert ticket.label_list == ["billing", "backend"]
    assert ticket.updated == datetime.fromtimestamp(special.updated_ms / 1000, UTC)
    assert ticket.url == f"{fake_jira.url}/browse/{special.key}"
    connection.refresh_from_db()
    assert connection.high_water_mark == ticket.updated
    assert connection.account_time_zone == "Europe/Berlin"
    assert connection.last_success_at is not None
    assert_no_duplicates(connection)


def test_the_sync_asks_only_for_the_stored_fields_in_update_order(team, fake_jira):
    fake_jira.add(5)
    connection = connect(team, fake_jira, jql="project = PAY ORDER BY created DESC")
    sync(connection)
    searches = [q for _, path, q in fake_jira.requests if path == "/rest/api/3/search/jql"]
    assert searches, "Cloud is searched through /rest/api/3/search/jql"
    assert "*all" not in searches[0]["fields"]
    assert "summary" in searches[0]["fields"] and "description" not in searches[0]["fields"]
    assert searches[0]["jql"] == ["(project = PAY) ORDER BY updated ASC, key ASC"]


def test_data_center_is_synced_through_the_v2_search_with_start_at(team, fake_dc):
    fake_dc.add(240, step=timedelta(seconds=10))
    connection = connect(team, fake_dc)
    run = sync(connection)
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 240)
    paths = {path for _, path, _ in fake_dc.requests if "search" in path}
    assert paths == {"/rest/api/2/search"}
    assert stored(connection)["PAY-1"].assignee_account_id in {
        "",
        *(f"JIRAUSER1000{n}" for n in range(4)),
    }


# -- incremental -------------------------------------------------------------------------


def test_the_next_sync_asks_from_the_mark_in_the_accounts_time_zone(team):
    with FakeJira(time_zone="America/Los_Angeles") as fake:
        fake.add(20)
        connection = connect(team, fake)
        sync(connection)
        connection.refresh_from_db()
        mark = connection.high_water_mark
        fake.requests.clear()

        sync(connection)

    since = (mark - timedelta(minutes=3)).astimezone(fake.zone).strftime("%Y-%m-%d %H:%M")
    assert search_jqls(fake)[0] == (
        f'(project = PAY) AND updated >= "{since}" ORDER BY updated ASC, key ASC'
    )


def test_a_change_a_minute_after_the_mark_is_found_whatever_the_time_zone(team):
    # Rendered in UTC, the literal would be read 8 hours off by this account and miss it.
    with FakeJira(time_zone="America/Los_Angeles") as fake:
        fake.add(30)
        connection = connect(team, fake)
        sync(connection)
        connection.refresh_from_db()
        changed = fake.issues[10003]
        fake.touch(changed, at=connection.high_water_mark + timedelta(minutes=1), status="Done")

        run = sync(connection)

    assert (run.updated, run.created) == (1, 0)
    assert stored(connection)[changed.key].status == "Done"


def test_only_newer_tickets_are_written(team, fake_jira):
    fake_jira.add(50)
    connection = connect(team, fake_jira)
    sync(connection)
    before = JiraTicket.objects.get(connection=connection, jira_id=10049).synced_at
    fake_jira.touch(fake_jira.issues[10010], summary="Renamed")

    run = sync(connection)

    assert (run.created, run.updated) == (0, 1)
    assert run.unchanged == run.fetched - 1  # the overlap's tickets, read but not written
    assert JiraTicket.objects.get(connection=connection, jira_id=10049).synced_at == before
    assert stored(connection)[fake_jira.issues[10010].key].summary == "Renamed"


def test_a_status_change_restarts_the_time_in_status(team, fake_jira):
    fake_jira.add(3)
    issue = fake_jira.issues[10001]
    fake_jira.touch(issue, status="To Do")
    connection = connect(team, fake_jira)
    sync(connection)
    entered = stored(connection)[issue.key].status_entered_at

    fake_jira.touch(issue, summary="Only the summary")
    sync(connection)
    assert stored(connection)[issue.key].status_entered_at == entered

    fake_jira.touch(issue, status="In Review")
    sync(connection)
    ticket = stored(connection)[issue.key]
    assert ticket.status_entered_at == ticket.updated


def test_a_ticket_moved_to_another_project_keeps_its_row_and_gets_its_new_key(team, fake_jira):
    fake_jira.add(10)
    connection = connect(team, fake_jira, jql="project in (PAY, OPS)")
    sync(connection)
    issue = fake_jira.issues[10004]
    old_key = issue.key
    fake_jira.move(issue, "OPS")

    sync(connection)

    row = JiraTicket.objects.get(connection=connection, jira_id=issue.id)
    assert (old_key, row.key) == ("PAY-5", "OPS-1")
    assert row.url.endswith("/browse/OPS-1")
    assert JiraTicket.objects.filter(connection=connection).count() == 10


# -- paging while Jira changes -----------------------------------------------------------


@pytest.mark.parametrize("deployment", ["cloud", "dc"])
def test_tickets_changing_between_pages_are_neither_lost_nor_duplicated(team, deployment):
    with FakeJira(deployment=deployment) as fake:
        fake.add(450, step=timedelta(minutes=3))
        early = [fake.issues[10000 + n] for n in range(0, 60, 3)]

        def people_keep_working(fake, search):
            # While we page, tickets we already read are edited (they move to the end of
            # "ORDER BY updated"); with plain offsets the tickets behind would shift and
            # some would never be read.
            if search in (2, 3):
                for issue in early[(search - 2) * 10 : (search - 1) * 10]:
                    fake.touch(issue, status="Done")

        fake.before_search = people_keep_working
        connection = connect(team, fake)
        run = sync(connection)

    assert run.outcome == JiraSyncOutcome.SUCCEEDED
    tickets = stored(connection)
    assert len(tickets) == 450
    assert {tickets[issue.key].status for issue in early} == {"Done"}
    assert_no_duplicates(connection)


def test_more_tickets_in_one_minute_than_a_page_holds_are_all_read(team, fake_jira):
    # A bulk edit: 250 tickets updated in the same minute. The window cannot move on, so
    # the sync follows Jira's own cursor within it.
    fake_jira.add(
        250, start=datetime(2025, 3, 1, 9, 0, tzinfo=UTC), step=timedelta(milliseconds=50)
    )
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert (run.created, len(stored(connection))) == (250, 250)
    assert any(
        "nextPageToken" in query for _, path, query in fake_jira.requests if "search" in path
    )


# -- full syncs and gone tickets ---------------------------------------------------------


def test_a_full_sync_marks_deleted_and_filtered_out_tickets_gone(team, fake_jira):
    fake_jira.add(130)
    connection = connect(team, fake_jira)
    sync(connection)
    deleted, moved = fake_jira.issues[10003], fake_jira.issues[10120]
    fake_jira.delete(deleted)
    fake_jira.move(moved, "OPS")  # out of "project = PAY"

    incremental = sync(connection)
    assert incremental.deleted == 0, "search never returns deleted tickets"

    full = sync(connection, full=True)
    assert (full.full, full.deleted) == (True, 2)
    gone = set(
        JiraTicket.objects.filter(connection=connection, gone=True).values_list(
            "jira_id", flat=True
        )
    )
    assert gone == {deleted.id, moved.id}
    id_pass = [q for _, path, q in fake_jira.requests if "search" in path][-1]
    assert id_pass["fields"] == ["created"]

    fake_jira.move(moved, "PAY")  # and back in
    sync(connection)
    assert not JiraTicket.objects.get(connection=connection, jira_id=moved.id).gone


def test_the_nightly_full_sync_is_due_once_after_three_in_the_teams_morning(team, fake_jira):
    connection = connect(team, fake_jira)  # the team's time zone is Europe/Berlin
    night = datetime(2025, 6, 2, 0, 59, tzinfo=UTC)  # 02:59 in Berlin
    connection.created_at = night - timedelta(days=3)
    connection.last_full_sync_at = night - timedelta(hours=23)
    assert not full_sync_due(connection=connection, now=night)
    assert full_sync_due(connection=connection, now=night + timedelta(minutes=2))
    connection.last_full_sync_at = night + timedelta(minutes=2)
    assert not full_sync_due(connection=connection, now=night + timedelta(hours=20))


def test_a_changed_filter_makes_the_next_sync_full(team, fake_jira):
    fake_jira.add(10)
    fake_jira.add(5, project="OPS")
    connection = connect(team, fake_jira, jql="project in (PAY, OPS)")
    sync(connection)
    connection = connect(team, fake_jira, jql="project = OPS", token="")
    run = sync(connection)
    assert (run.full, run.deleted) == (True, 10)
    assert JiraTicket.objects.filter(connection=connection, gone=False).count() == 5


def test_another_site_drops_the_tickets_of_the_old_one(team, fake_jira):
    fake_jira.add(10)
    connection = connect(team, fake_jira)
    sync(connection)
    with FakeJira() as other:
        other.add(3)
        connection = connect(team, other)
        assert not JiraTicket.objects.filter(connection=connection).exists()
        sync(connection)
    assert JiraTicket.objects.filter(connection=connection).count() == 3


def test_the_sync_records_each_run(team, fake_jira):
    fake_jira.add(3)
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert run.trigger == "test"
    assert run.finished_at >= run.started_at
    assert list(JiraSyncRun.objects.filter(connection=connection)) == [run]
