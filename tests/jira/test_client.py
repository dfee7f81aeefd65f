"""The client against the fake Jira over real HTTP: paging, and every kind of failure."""

import time
from email.utils import formatdate

import pytest

from practices.jira.client import (
    JiraAuthError,
    JiraClient,
    JiraRateLimited,
    JiraSetupError,
    JiraTransientError,
    retry_after_seconds,
)
from practices.jira.tickets import TICKET_FIELDS
from tests.jira.fake_jira import FakeJira


def client_for(fake: FakeJira, **overrides) -> JiraClient:
    values = {
        "base_url": fake.url,
        "deployment": "cloud" if fake.deployment == "cloud" else "dc",
        "email": fake.email,
        "token": fake.token,
        "timeout": (2.0, 2.0),
        **overrides,
    }
    return JiraClient(**values)


def searches(fake: FakeJira):
    return [(path, query) for method, path, query in fake.requests if "search" in path]


def test_cloud_pages_by_next_page_token_and_asks_only_for_stored_fields(fake_jira):
    fake_jira.add(150)
    with client_for(fake_jira) as client:
        first = client.search_page(jql="project = PAY ORDER BY key ASC", fields=TICKET_FIELDS)
        second = client.search_page(
            jql="project = PAY ORDER BY key ASC", fields=TICKET_FIELDS, cursor=first.next_cursor
        )
    assert [len(first.issues), len(second.issues)] == [100, 50]
    assert isinstance(first.next_cursor, str)
    assert second.next_cursor is None
    assert first.total is None  # the enhanced search has no total
    path, query = searches(fake_jira)[1]
    assert path == "/rest/api/3/search/jql"
    assert query["nextPageToken"] == [first.next_cursor]
    assert sorted(query["fields"]) == sorted(TICKET_FIELDS)


def test_data_center_pages_by_start_at_with_a_total(fake_dc):
    fake_dc.add(150)
    with client_for(fake_dc) as client:
        first = client.search_page(jql="project = PAY ORDER BY key ASC", fields=("summary",))
        second = client.search_page(
            jql="project = PAY ORDER BY key ASC", fields=("summary",), cursor=first.next_cursor
        )
    assert (first.total, first.next_cursor, second.next_cursor) == (150, 100, None)
    path, query = searches(fake_dc)[1]
    assert path == "/rest/api/2/search"
    assert query["startAt"] == ["100"]


def test_a_cloud_site_set_up_as_data_center_is_named_for_what_it_is(fake_jira):
    with pytest.raises(JiraSetupError, match="is Jira Cloud, but Data Center is selected"):
        client_for(fake_jira, deployment="dc").connect()


def test_a_data_center_site_set_up_as_cloud_is_named_for_what_it_is(fake_dc):
    with pytest.raises(JiraSetupError, match="is Jira Data Center or Server"):
        client_for(fake_dc, deployment="cloud").connect()


def test_wrong_credentials_are_an_auth_error(fake_jira):
    with pytest.raises(JiraAuthError, match="401 Unauthorized"):
        client_for(fake_jira, token="wrong").myself()


def test_a_captcha_lock_is_an_auth_error_that_says_why(fake_jira):
    fake_jira.forbidden_reason = "CAPTCHA_CHALLENGE; login-url=https://example.test/login"
    with pytest.raises(JiraAuthError, match=r"403 Forbidden.*CAPTCHA_CHALLENGE"):
        client_for(fake_jira).myself()


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_is_read_from_429_and_503(fake_jira, status):
    fake_jira.fail("myself", status=status, retry_after="17")
    with pytest.raises(JiraRateLimited) as caught:
        client_for(fake_jira).myself()
    assert caught.value.retry_after == 17


def test_the_client_itself_never_retries_so_it_never_waits_less_than_asked(fake_jira):
    fake_jira.fail("myself", status=429, retry_after="30", times=5)
    started = time.monotonic()
    with pytest.raises(JiraRateLimited):
        client_for(fake_jira).myself()
    assert time.monotonic() - started < 2
    assert sum(1 for _, path, _ in fake_jira.requests if path.endswith("/myself")) == 1


def test_a_503_without_retry_after_and_a_500_are_passing_failures(fake_jira):
    fake_jira.fail("myself", status=503)
    fake_jira.fail("myself", status=500)
    client = client_for(fake_jira)
    for _ in range(2):
        with pytest.raises(JiraTransientError) as caught:
            client.myself()
        assert not isinstance(caught.value, JiraRateLimited)


def test_a_slow_answer_times_out_as_a_passing_failure(fake_jira):
    fake_jira.fail("myself", delay=1.5)
    with pytest.raises(JiraTransientError, match=r"did not answer within 0\.5 seconds"):
        client_for(fake_jira, timeout=(2.0, 0.5)).myself()


def test_a_body_that_is_not_json_is_a_passing_failure(fake_jira):
    fake_jira.fail("search", body='{"issues": [{"id": "1')
    with pytest.raises(JiraTransientError, match="not Jira's JSON"):
        client_for(fake_jira).search_page(jql="project = PAY", fields=("summary",))


def test_json_of_another_shape_is_a_passing_failure(fake_jira):
    fake_jira.fail("search", body='{"values": []}')
    with pytest.raises(JiraTransientError, match="unexpected shape"):
        client_for(fake_jira).search_page(jql="project = PAY", fields=("summary",))


def test_jiras_own_words_about_a_bad_jql_are_kept(fake_jira):
    with pytest.raises(JiraSetupError) as caught:
        client_for(fake_jira).search_page(jql="projekt = PAY", fields=("summary",))
    assert "Field 'projekt' does not exist" in caught.value.message


def test_an_address_without_jira_says_to_check_it(fake_jira):
    with pytest.raises(JiraSetupError, match="No Jira answered"):
        client_for(fake_jira, base_url=fake_jira.url + "/jira").connect()


def test_a_refused_connection_is_a_passing_failure():
    with FakeJira() as fake:
        url = fake.url
    with pytest.raises(JiraTransientError, match="refused the connection"):
        JiraClient(base_url=url, deployment="cloud", email="a@b.c", token="t").connect()


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds("120") == 120
    assert 55 < retry_after_seconds(formatdate(time.time() + 60, usegmt=True)) <= 60
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_created_tickets_come_back_with_their_key(fake_jira, fake_dc):
    fake_jira.add(1)
    fake_dc.add(1)
    for fake in (fake_jira, fake_dc):
        with client_for(fake) as client:
            _, key = client.issue_create(
                project_key="PAY",
                issue_type="Task",
                summary="Roll out the retry budget",
                description="Decided in proposal 12.\n\nSee Teamlead.",
                assignee_account_id="5b10ac8d82e05b22cc7d4ef5" if fake is fake_jira else "mkhan",
            )
        assert key == "PAY-2"
        created = fake.issues[max(fake.issues)]
        assert created.assignee == 1
