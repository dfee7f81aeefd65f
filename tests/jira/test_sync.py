"""The sync, through the real ``jira`` client over HTTP against the fake Jira."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections as db_connections
from django.db.models import Count
from django.utils import timezone

from practices.jira.client import JiraTransientError
from practices.jira.sync import Lease, SyncBusy, full_sync_due, jira_sync, read_ahead
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun, JiraTicket
from tests.jira.conftest import connect
from tests.jira.fake_jira import PEOPLE, FakeJira
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


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


# -- failures ----------------------------------------------------------------------------


def test_a_rate_limit_is_waited_out_for_at_least_retry_after(team, fake_jira):
    fake_jira.add(150)
    fake_jira.fail("search", status=429, retry_after="1")
    connection = connect(team, fake_jira)
    started = time.monotonic()
    run = sync(connection)
    assert time.monotonic() - started >= 1.0
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 150)


def test_a_503_with_retry_after_is_waited_out_too(team, fake_jira):
    fake_jira.add(5)
    fake_jira.fail("myself", status=503, retry_after="1")
    connection = connect(team, fake_jira)
    started = time.monotonic()
    run = sync(connection)
    assert time.monotonic() - started >= 1.0
    assert run.outcome == JiraSyncOutcome.SUCCEEDED


def test_a_long_retry_after_ends_the_run_and_the_next_waits_for_it(team, fake_jira):
    fake_jira.add(150)
    connection = connect(team, fake_jira)
    fake_jira.before_search = lambda fake, search: (
        search == 2 and fake.fail("search", status=429, retry_after="600")
    )
    started = time.monotonic()
    run = sync(connection)
    assert time.monotonic() - started < 5, "it must not sleep ten minutes inside a worker"
    assert run.outcome == JiraSyncOutcome.RATE_LIMITED
    assert run.created == 100, "the page stored before the limit stays stored"
    connection.refresh_from_db()
    assert connection.next_sync_at >= run.finished_at + timedelta(seconds=599)
    assert not connection.needs_attention


def test_passing_server_errors_are_retried_with_backoff(team, fake_jira):
    fake_jira.add(20)
    fake_jira.fail("search", status=502, times=2)
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 20)


def test_lasting_server_errors_end_the_run_after_a_few_tries(team, fake_jira):
    fake_jira.add(20)
    fake_jira.fail("search", status=500, times=50)
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.FAILED
    assert "Jira failed to answer search (500)" in run.error
    assert len(search_jqls(fake_jira)) == 4  # the first try and three retries
    connection.refresh_from_db()
    assert connection.next_sync_at > timezone.now() + timedelta(minutes=4)
    assert not connection.needs_attention


def test_a_slow_answer_is_retried_after_its_timeout(team, fake_jira, settings):
    settings.JIRA_TIMEOUT_SECONDS = 0.3
    fake_jira.add(5)
    fake_jira.fail("search", delay=0.8)
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 5)


def test_a_garbled_page_is_fetched_again(team, fake_jira):
    fake_jira.add(5)
    fake_jira.fail("search", body='{"issues": [{"id": "100')
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 5)


def test_a_malformed_ticket_is_skipped_and_recorded_and_its_page_still_stored(team, fake_jira):
    fake_jira.add(30)
    fake_jira.broken[10005] = {"id": "10005", "key": "PAY-6", "fields": {"summary": 7}}
    fake_jira.broken[10006] = "not a ticket"
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.PARTIAL
    assert (run.created, run.skipped) == (28, 2)
    assert run.ticket_errors[0]["ticket"] == "PAY-6"
    assert "status is missing" in run.ticket_errors[0]["error"]
    connection.refresh_from_db()
    assert connection.last_success_at is not None


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ({"token": "revoked"}, "Jira refused the credentials (401 Unauthorized)"),
        ({"jql": "projekt = PAY"}, "Field 'projekt' does not exist"),
    ],
)
def test_auth_and_setup_errors_pause_syncing_until_a_lead_fixes_them(
    team, fake_jira, caplog, breakage, message
):
    fake_jira.add(5)
    connection = connect(team, fake_jira, **breakage)
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.NEEDS_ATTENTION
    assert message in run.error
    connection.refresh_from_db()
    assert connection.needs_attention
    assert message in connection.attention_message
    assert f"Jira sync of team {team.slug} needs attention" in caplog.text


def test_a_captcha_lock_pauses_syncing(team, fake_jira):
    fake_jira.forbidden_reason = "CAPTCHA_CHALLENGE; login-url=https://example.test/login"
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.NEEDS_ATTENTION
    assert "403 Forbidden" in run.error


def test_failed_syncs_keep_the_last_good_copy(team, fake_jira):
    fake_jira.add(40)
    connection = connect(team, fake_jira)
    sync(connection)
    connection.refresh_from_db()
    good = connection.last_success_at
    fake_jira.fail("myself", status=500, times=10)
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.FAILED
    connection.refresh_from_db()
    assert connection.last_success_at == good
    assert JiraTicket.objects.filter(connection=connection, gone=False).count() == 40


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


# -- one sync at a time ------------------------------------------------------------------


def test_a_second_sync_of_the_same_team_is_refused_while_one_holds_the_lease(team, fake_jira):
    connection = connect(team, fake_jira)
    lease = Lease.claim(connection_id=connection.pk)
    assert lease is not None
    assert Lease.claim(connection_id=connection.pk) is None
    with pytest.raises(SyncBusy):
        sync(connection)
    lease.release()
    assert sync(connection).outcome == JiraSyncOutcome.SUCCEEDED


def test_a_lease_left_by_a_dead_worker_is_taken_over_once_it_expires(team, fake_jira):
    fake_jira.add(5)
    connection = connect(team, fake_jira)
    assert Lease.claim(connection_id=connection.pk) is not None  # and its holder died
    dead_run = JiraSyncRun.objects.create(
        connection=connection, trigger="schedule", started_at=timezone.now()
    )
    with pytest.raises(SyncBusy):
        sync(connection)
    JiraConnection.objects.filter(pk=connection.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    run = sync(connection)
    assert (run.outcome, run.created) == (JiraSyncOutcome.SUCCEEDED, 5)
    dead_run.refresh_from_db()
    assert dead_run.outcome == JiraSyncOutcome.INTERRUPTED


@pytest.mark.django_db(transaction=True)
def test_a_sync_that_lost_its_lease_writes_no_further_page(team, fake_jira):
    fake_jira.add(450)
    connection = connect(team, fake_jira)
    tickets = JiraTicket.objects.filter(connection=connection)

    stored_at_takeover = []
    runs = JiraSyncRun.objects.filter(connection=connection)

    def someone_took_over(fake, search):
        # The third page is read while the second is stored: let that one finish first.
        if search == 3:
            try:
                wait_for(lambda: runs.filter(fetched=200).exists(), timeout=10, what="page two")
                stored_at_takeover.append(tickets.count())
                JiraConnection.objects.filter(pk=connection.pk).update(lease_token="someone-else")
            finally:
                db_connections.close_all()  # this server thread's own; else the test DB stays open

    fake_jira.before_search = someone_took_over
    run = sync(connection)
    assert run.outcome == JiraSyncOutcome.INTERRUPTED
    assert stored_at_takeover == [199]  # the second page began with the first's last ticket
    assert tickets.count() == 199
    connection.refresh_from_db()
    assert connection.lease_token == "someone-else", "it does not release a lease it lost"


def test_the_sync_records_each_run(team, fake_jira):
    fake_jira.add(3)
    connection = connect(team, fake_jira)
    run = sync(connection)
    assert run.trigger == "test"
    assert run.finished_at >= run.started_at
    assert list(JiraSyncRun.objects.filter(connection=connection)) == [run]


# -- reading ahead -----------------------------------------------------------------------


def test_the_next_page_is_read_while_this_one_is_stored_and_never_further_ahead():
    log = []

    def pages():
        for n in range(1, 5):
            log.append(f"read {n}")
            yield n

    for n in read_ahead(pages(), keep_alive=lambda: None):
        time.sleep(0.05)  # storing the page
        log.append(f"stored {n}")
    assert log.index("read 2") < log.index("stored 1"), "read while page 1 was stored"
    assert log.index("read 3") > log.index("stored 1")
    assert log.index("read 4") > log.index("stored 2")
    assert [entry for entry in log if entry.startswith("stored")] == [
        "stored 1",
        "stored 2",
        "stored 3",
        "stored 4",
    ]


def test_a_failure_while_reading_ahead_is_raised_after_the_pages_before_it():
    def pages():
        yield 1
        raise JiraTransientError("Jira failed to answer search (502).")

    got = []
    with pytest.raises(JiraTransientError, match="502"):
        for n in read_ahead(pages(), keep_alive=lambda: None):
            got.append(n)
    assert got == [1]


def test_the_lease_is_kept_while_a_slow_page_is_awaited(settings):
    settings.JIRA_SYNC_LEASE_SECONDS = 0.3
    kept = []

    def pages():
        time.sleep(0.6)  # a long Retry-After, say
        yield 1

    assert list(read_ahead(pages(), keep_alive=lambda: kept.append(1))) == [1]
    assert len(kept) >= 3
