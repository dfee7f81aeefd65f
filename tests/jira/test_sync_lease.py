"""One sync at a time per connection: the lease, taking over a dead worker's, losing it,
and keeping it while the next page is read ahead."""

import time
from datetime import timedelta

import pytest
from django.db import connections as db_connections
from django.utils import timezone

from practices.jira.client import JiraTransientError
from practices.jira.lease import Lease, SyncBusy
from practices.jira.sync import read_ahead
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun, JiraTicket
from tests.jira.conftest import connect
from tests.jira.syncing import sync
from tests.worker import wait_for

pytestmark = pytest.mark.django_db


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
