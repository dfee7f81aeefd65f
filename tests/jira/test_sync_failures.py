"""The sync when Jira fails: rate limits, server errors, timeouts, garbled answers and
refusals, each waited out, retried or reported to a lead; the last good copy stays."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from practices.models import JiraSyncOutcome, JiraTicket
from tests.jira.conftest import connect
from tests.jira.syncing import search_jqls, sync

pytestmark = pytest.mark.django_db


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
