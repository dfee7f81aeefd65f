"""Real worker processes sync against the fake Jira: beat plans, a worker syncs, kill -9.

The worker is told (through its environment) to plan every second instead of every
minute, and to hold a sync's lease for 3 s instead of 120 s, so that a lease left by a
killed worker expires within the test.
"""

import os
import signal
import subprocess
from pathlib import Path

import pytest

from practices.jira import services
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun, JiraTicket
from tests.jira.conftest import connect
from tests.jira.fake_jira import FakeJira
from tests.jira.syncing import assert_no_duplicates
from tests.worker import running_worker, wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FAST = {"JIRA_SYNC_PLAN_SECONDS": "1", "JIRA_SYNC_LEASE_SECONDS": "3"}


def mail_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir(exist_ok=True)
    return folder


def as_in_jira(fake: FakeJira) -> dict[str, tuple[int, str, int]]:
    return {i.key: (i.id, i.status, i.updated_ms) for i in fake.issues.values()}


def as_stored(connection: JiraConnection) -> dict[str, tuple[int, str, int]]:
    return {
        t.key: (t.jira_id, t.status, round(t.updated.timestamp() * 1000))
        for t in JiraTicket.objects.filter(connection=connection, gone=False)
    }


def finished_runs(connection: JiraConnection):
    return JiraSyncRun.objects.filter(connection=connection).exclude(
        outcome=JiraSyncOutcome.RUNNING
    )


def kill_hard(worker: subprocess.Popen) -> None:
    """SIGKILL the worker and its pool process, as ``kill -9`` or the OOM killer would.

    The sync runs in the pool process. The parent goes first, so that it cannot start
    a new pool process in its place.
    """
    pool = _children(worker.pid)
    assert pool, "the worker has no pool process"
    for pid in [worker.pid, *pool]:
        os.kill(pid, signal.SIGKILL)
    worker.wait(timeout=10)
    wait_for(lambda: not any(_alive(pid) for pid in pool), timeout=10, what="the pool to die")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            # The process name is in parentheses and may hold spaces: split after it.
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_beat_plans_a_sync_and_a_real_worker_stores_the_tickets(
    team, fake_jira, celery_broker, tmp_path
):
    fake_jira.add(250)
    # Saving queues a sync of its own; the worker's start drops it (see running_worker),
    # so what runs below is what beat planned.
    connection = connect(team, fake_jira)
    with running_worker(celery_broker, mail_folder(tmp_path), beat=True, env=FAST):
        wait_for(
            lambda: finished_runs(connection).exists(), timeout=25, what="beat's sync to finish"
        )
    run = finished_runs(connection).get()
    assert (run.trigger, run.outcome) == ("schedule", JiraSyncOutcome.SUCCEEDED)
    assert (run.created, run.skipped) == (250, 0)
    assert as_stored(connection) == as_in_jira(fake_jira)
    connection.refresh_from_db()
    assert connection.last_success_at is not None
    assert connection.lease_token == "", "a finished sync releases its lease"


def test_a_sync_killed_mid_way_is_finished_by_the_next_run_without_duplicates(
    team, fake_jira, celery_broker, tmp_path
):
    fake_jira.add(700)
    fake_jira.page_delay = 0.3  # so that the kill lands while the sync is between pages
    connection = connect(team, fake_jira)
    mail = mail_folder(tmp_path)
    tickets = JiraTicket.objects.filter(connection=connection)

    with running_worker(celery_broker, mail, env=FAST) as worker:
        services.jira_sync_request(connection=connection)  # the lead's "Sync now"
        wait_for(lambda: tickets.count() >= 200, timeout=20, what="two pages stored")
        kill_hard(worker)

    stored_before = tickets.count()
    assert 200 <= stored_before < 700, "killed mid-sync, after whole pages"
    dead_run = JiraSyncRun.objects.get(connection=connection)
    assert dead_run.outcome == JiraSyncOutcome.RUNNING
    connection.refresh_from_db()
    assert connection.lease_token, "the dead worker still holds the lease"
    newest = tickets.order_by("-updated").values_list("updated", flat=True).first()
    assert connection.high_water_mark == newest, "the mark moved only with the rows stored"

    # While no worker runs, people keep working in Jira.
    fake_jira.page_delay = 0
    already_stored = fake_jira.issues[10000]
    fake_jira.touch(already_stored, status="In Review", summary="Changed while down")

    # The next run is beat's, once the dead worker's lease has expired.
    with running_worker(celery_broker, mail, beat=True, env=FAST):
        wait_for(
            lambda: finished_runs(connection).filter(outcome=JiraSyncOutcome.SUCCEEDED).exists(),
            timeout=25,
            what="the next sync to finish",
        )

    dead_run.refresh_from_db()
    assert dead_run.outcome == JiraSyncOutcome.INTERRUPTED
    next_run = JiraSyncRun.objects.exclude(pk=dead_run.pk).get(connection=connection)
    assert (next_run.trigger, next_run.outcome) == ("schedule", JiraSyncOutcome.SUCCEEDED)
    assert (next_run.created, next_run.updated) == (700 - stored_before, 1)
    assert as_stored(connection) == as_in_jira(fake_jira)
    assert tickets.get(jira_id=10000).summary == "Changed while down"
    assert_no_duplicates(connection)
