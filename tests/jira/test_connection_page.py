"""The lead's Jira connection page: saving, testing, statuses, syncing now, disconnecting."""

import pytest
from django.urls import reverse

from practices.jira.crypto import token_decrypt
from practices.jira.sync import jira_sync
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun
from tests.jira.conftest import connect

pytestmark = pytest.mark.django_db

URL = reverse("practices:jira_connection", args=["pay"])
TEST_URL = reverse("practices:jira_connection_test", args=["pay"])


def form_data(fake, **overrides):
    return {
        "base_url": fake.url,
        "deployment": "cloud",
        "email": fake.email,
        "token": fake.token,
        "jql": "project = PAY",
        "sync_interval_minutes": "5",
        **overrides,
    }


def test_a_lead_connects_jira_and_a_sync_is_queued(
    people, client_for, fake_jira, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as queued:
        response = client_for(people.lead).post(URL, form_data(fake_jira))
    assert response.status_code == 302
    connection = JiraConnection.objects.get(team=people.team)
    assert (connection.base_url, connection.jql) == (fake_jira.url, "project = PAY")
    assert len(queued) == 1, "the first sync is queued once the save commits"


def test_the_token_is_stored_encrypted_and_never_rendered_back(people, client_for, fake_jira):
    client = client_for(people.lead)
    client.post(URL, form_data(fake_jira, token="s3cret-token-value"))
    connection = JiraConnection.objects.get(team=people.team)
    assert "s3cret-token-value" not in connection.token_encrypted
    assert token_decrypt(encrypted=connection.token_encrypted) == "s3cret-token-value"
    page = client.get(URL).text
    assert "s3cret-token-value" not in page
    assert connection.token_encrypted not in page
    assert 'name="token"' in page and "A token is saved" in page


def test_an_empty_token_keeps_the_saved_one_for_the_same_site(people, client_for, fake_jira):
    client = client_for(people.lead)
    client.post(URL, form_data(fake_jira))
    response = client.post(URL, form_data(fake_jira, token="", jql="project = OPS"))
    assert response.status_code == 302
    connection = JiraConnection.objects.get(team=people.team)
    assert token_decrypt(encrypted=connection.token_encrypted) == fake_jira.token
    assert connection.jql == "project = OPS"


def test_a_saved_token_is_never_sent_to_another_site(people, client_for, fake_jira):
    client = client_for(people.lead)
    client.post(URL, form_data(fake_jira))
    response = client.post(URL, form_data(fake_jira, base_url="https://evil.example.com", token=""))
    assert response.status_code == 200
    assert "a saved token is never sent to another site" in response.text
    assert JiraConnection.objects.get(team=people.team).base_url == fake_jira.url

    response = client.post(
        TEST_URL, form_data(fake_jira, base_url="https://evil.example.com", token="")
    )
    assert "only sent to the site it was saved for" in response.text


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"base_url": "not a url"}, "base_url", "Enter a valid URL."),
        ({"base_url": "javascript:alert(1)"}, "base_url", "Enter a valid URL."),
        ({"base_url": "ftp://jira.example.com"}, "base_url", "Use an http:// or https://"),
        (
            {"base_url": "https://user:pw@jira.example.com"},
            "base_url",
            "Leave the user and password",
        ),
        ({"base_url": "https://jira.example.com/?x=1"}, "base_url", "without ? or #"),
        ({"base_url": "http://169.254.169.254/latest"}, "base_url", "cannot be a Jira site"),
        ({"jql": ""}, "jql", "This field is required."),
        ({"jql": "   "}, "jql", "This field is required."),
        ({"jql": "ORDER BY created DESC"}, "jql", "Give a filter before any ORDER BY"),
        ({"jql": 'summary ~ "open'}, "jql", "a &quot; quote is not closed"),
        ({"jql": "x" * 2001}, "jql", "at most 2000 characters"),
        ({"jql": "project = PAY\x00"}, "jql", "Null characters are not allowed."),
        ({"email": ""}, "email", "Jira Cloud needs the email"),
        ({"email": "<script>@x"}, "email", "Enter a valid email address."),
        ({"token": ""}, "token", "Enter the API token."),
        ({"deployment": "server"}, "deployment", "Select a valid choice."),
        ({"sync_interval_minutes": "0"}, "sync_interval_minutes", "greater than or equal to 1"),
        ({"sync_interval_minutes": "many"}, "sync_interval_minutes", "Enter a whole number."),
    ],
)
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_saved(
    people, client_for, fake_jira, change, field, message
):
    response = client_for(people.lead).post(URL, form_data(fake_jira, **change))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors
    assert message in response.text
    assert not JiraConnection.objects.exists()


def test_bad_input_leaves_a_saved_connection_as_it_was(people, client_for, fake_jira):
    client = client_for(people.lead)
    client.post(URL, form_data(fake_jira))
    before = list(JiraConnection.objects.values())
    response = client.post(URL, form_data(fake_jira, jql="", base_url="nope"))
    assert response.status_code == 200
    assert list(JiraConnection.objects.values()) == before


def test_hostile_text_is_kept_as_text_and_shown_escaped(people, client_for, fake_jira):
    client = client_for(people.lead)
    hostile = 'summary ~ "<script>alert(1)</script>" AND project = PAY'
    client.post(URL, form_data(fake_jira, jql=hostile))
    assert JiraConnection.objects.get(team=people.team).jql == hostile
    for url in (URL, reverse("practices:tickets", args=["pay"])):
        page = client.get(url).text
        assert "<script>alert(1)</script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_test_connection_says_what_works(people, client_for, fake_jira):
    fake_jira.add(3)
    response = client_for(people.lead).post(TEST_URL, form_data(fake_jira), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="jira-test-result"'), "only the fragment"
    assert "Found Jira Cloud at 127.0.0.1" in response.text
    assert "Signed in as Sync Bot; Jira reads its dates in Europe/Berlin." in response.text
    assert "The filter works and matches tickets." in response.text
    assert not JiraConnection.objects.exists(), "testing saves nothing"


def test_test_connection_counts_tickets_on_data_center(people, client_for, fake_dc):
    fake_dc.add(12)
    data = form_data(fake_dc, deployment="dc", email="")
    response = client_for(people.lead).post(TEST_URL, data, HTTP_HX_REQUEST="true")
    assert "Found Jira Data Center 9.12.15" in response.text
    assert "The filter matches 12 tickets." in response.text


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"token": "wrong"}, "Jira refused the credentials (401 Unauthorized)"),
        ({"jql": "projekt = PAY"}, "Field &#x27;projekt&#x27; does not exist"),
        ({"deployment": "dc", "email": ""}, "is Jira Cloud, but Data Center is selected"),
        ({"base_url": "http://127.0.0.1:9"}, "Could not reach 127.0.0.1:9"),
    ],
)
def test_test_connection_says_plainly_what_is_wrong(people, client_for, fake_jira, change, message):
    response = client_for(people.lead).post(
        TEST_URL, form_data(fake_jira, **change), HTTP_HX_REQUEST="true"
    )
    assert message in response.text
    assert "check-failed" in response.text


def test_test_connection_with_bad_fields_lists_them_instead_of_asking_jira(
    people, client_for, fake_jira
):
    response = client_for(people.lead).post(
        TEST_URL, form_data(fake_jira, base_url="nope"), HTTP_HX_REQUEST="true"
    )
    assert "Fix these first" in response.text
    assert "Site address: Enter a valid URL." in response.text
    assert not fake_jira.requests


def test_test_connection_works_without_javascript_too(people, client_for, fake_jira):
    response = client_for(people.lead).post(TEST_URL, form_data(fake_jira))
    assert response.status_code == 200
    assert "<h1>Jira connection</h1>" in response.text
    assert "Signed in as Sync Bot" in response.text
    assert fake_jira.token not in response.text


def test_the_page_shows_the_last_runs_and_what_went_wrong(people, client_for, fake_jira):
    fake_jira.add(4)
    connection = connect(people.team, fake_jira)
    jira_sync(connection=connection, trigger="lead")
    fake_jira.fail("search", status=500, times=10)
    jira_sync(connection=connection, trigger="schedule")
    page = client_for(people.lead).get(URL).text
    assert "Succeeded" in page and "Failed" in page
    assert "Jira failed to answer search (500)" in page
    assert "Syncing as Sync Bot (Jira time zone Europe/Berlin)" in page


def test_attention_is_shown_and_sync_now_resumes_syncing(
    people, client_for, fake_jira, django_capture_on_commit_callbacks
):
    connection = connect(people.team, fake_jira, token="revoked")
    run = jira_sync(connection=connection, trigger="schedule")
    assert run.outcome == JiraSyncOutcome.NEEDS_ATTENTION
    client = client_for(people.lead)
    assert "Syncing is paused until this is fixed" in client.get(URL).text
    with django_capture_on_commit_callbacks() as queued:
        client.post(reverse("practices:jira_sync_now", args=["pay"]))
    connection.refresh_from_db()
    assert not connection.needs_attention
    assert len(queued) == 1


def test_review_statuses_default_to_names_with_review_and_can_be_chosen(
    people, client_for, fake_jira
):
    fake_jira.add(20)
    connection = connect(people.team, fake_jira)
    jira_sync(connection=connection, trigger="lead")
    client = client_for(people.lead)
    statuses_form = client.get(URL).context["statuses_form"]
    assert statuses_form.initial["statuses"] == ["In Review"]
    client.post(
        reverse("practices:jira_review_statuses", args=["pay"]),
        {"statuses": ["In Review", "In Progress"]},
    )
    connection.refresh_from_db()
    assert connection.review_statuses == ["In Progress", "In Review"]
    response = client.post(
        reverse("practices:jira_review_statuses", args=["pay"]), {"statuses": ["Made up"]}
    )
    assert response.status_code == 302
    connection.refresh_from_db()
    assert connection.review_statuses == ["In Progress", "In Review"]


def test_disconnecting_deletes_the_token_tickets_and_runs(people, client_for, fake_jira):
    fake_jira.add(3)
    connection = connect(people.team, fake_jira)
    jira_sync(connection=connection, trigger="lead")
    response = client_for(people.lead).post(reverse("practices:jira_disconnect", args=["pay"]))
    assert response.status_code == 302
    assert not JiraConnection.objects.exists()
    assert not JiraSyncRun.objects.exists()


def test_a_member_cannot_see_the_connection_page(people, client_for, fake_jira):
    connect(people.team, fake_jira)
    assert client_for(people.member).get(URL).status_code == 403
    assert client_for(people.outsider).get(URL).status_code == 404
