"""'Create in Jira' for a decision's action items, over real HTTP to the fake Jira.

The button only queues; the task (called directly here) creates the ticket, or links
the one an earlier try created, found by the item's marker label.
"""

import datetime as dt
import time
from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from practices.jira.client import JiraTransientError
from practices.jira.jql import jql_project_key
from practices.jira.services import jira_connection_save
from proposals.models import JIRA_CLAIM_STALE_AFTER, ActionItem, JiraState
from proposals.services import proposals as proposal_services
from proposals.services.action_items import (
    ClaimBusy,
    action_item_jira_create,
    action_item_jira_push,
)
from proposals.tasks import create_action_item_in_jira
from tests.factories import UserFactory, add_member, make_jira_connection
from tests.jira.fake_jira import FakeJira
from tests.proposals.factories import make_proposal

HTMX = {"HTTP_HX_REQUEST": "true"}
SITE = "https://teamlead.example.com"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE
    settings.JIRA_TIMEOUT_SECONDS = 5


@pytest.fixture
def cloud() -> Iterator[FakeJira]:
    with FakeJira(deployment="cloud") as fake:
        fake.add(1)  # the PAY project exists
        yield fake


@pytest.fixture
def dc() -> Iterator[FakeJira]:
    with FakeJira(deployment="dc", time_zone="America/New_York") as fake:
        fake.add(1)
        yield fake


def connect(team, fake: FakeJira, **overrides):
    return jira_connection_save(
        team=team,
        **{
            "base_url": fake.url,
            "deployment": fake.deployment,
            "email": fake.email if fake.deployment == "cloud" else "",
            "token": fake.token,
            "jql": "project = PAY ORDER BY updated DESC",
            "sync_interval_minutes": 5,
            **overrides,
        },
    )


@pytest.fixture
def mo(people):
    # Mo Khan is also a person of the fake Jira (accountId 5b10ac8d…, username mkhan).
    return add_member(
        people.team, UserFactory(email="mkhan@example.com", first_name="Mo", last_name="Khan")
    )


def decided(people, *items: proposal_services.ActionItemInput):
    """DACI-1: driven by the member, approved by the lead, decided with ``items``."""
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    proposal_services.proposal_decide(
        proposal=proposal,
        actor=people.lead,
        option_id=proposal.options.order_by("position")[0].pk,
        rationale="Redis is already run by the platform team.",
        block_answers={},
        action_items=list(items),
    )
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def item(people, mo):
    proposal = decided(
        people,
        proposal_services.ActionItemInput(
            text="Write the Redis runbook", owner=mo, due_on=dt.date(2030, 3, 12)
        ),
    )
    return proposal.action_items.get()


def press(item, user) -> ActionItem:
    item = ActionItem.objects.select_related("proposal__team").get(pk=item.pk)
    return action_item_jira_create(item=item, user=user)


def run(item) -> str:
    """The task as a worker runs it, retries included (eagerly, without the waits)."""
    return create_action_item_in_jira.apply(args=[item.pk]).get()


def jira_url(name, item):
    return reverse(f"proposals:{name}", args=["pay", item.proposal.number, item.pk])


def tickets_marked(fake: FakeJira, item: ActionItem) -> list:
    marker = ActionItem.objects.get(pk=item.pk).jira_marker
    return [issue for issue in fake.issues.values() if marker in issue.labels]


# -- creating -----------------------------------------------------------------------


def test_cloud_ticket_has_the_summary_a_link_back_and_the_owner_assigned(people, item, cloud):
    connect(people.team, cloud)
    queued = press(item, people.lead)
    assert queued.jira_state == JiraState.QUEUED
    assert queued.jira_marker.startswith(f"teamlead-ai-{item.pk}-")

    assert run(item) == "created"

    item.refresh_from_db()
    assert (item.jira_state, item.jira_key) == (JiraState.CREATED, "PAY-2")
    assert item.jira_url == f"{cloud.url}/browse/PAY-2"
    assert item.jira_id == str(cloud.issues[max(cloud.issues)].id)
    sent = cloud.created["PAY-2"]
    assert sent["summary"] == "Write the Redis runbook"
    assert sent["issuetype"] == {"name": "Task"}
    assert sent["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}
    assert sent["labels"] == [item.jira_marker]
    link = SITE + item.proposal.get_absolute_url()
    document = sent["description"]
    assert document["type"] == "doc"
    texts = [node for p in document["content"] for node in p["content"]]
    assert {"type": "text", "text": link, "marks": [{"type": "link", "attrs": {"href": link}}]} in (
        texts
    )
    words = " ".join(node.get("text", "") for node in texts)
    assert "DACI-1 “Move sessions to Redis”" in words
    assert "Owner: Mo Khan (mkhan@example.com). Due: 12 Mar 2030." in words
    assert cloud.issues[max(cloud.issues)].assignee == 1


def test_data_center_ticket_has_a_plain_text_description_and_the_username(people, item, dc):
    connect(people.team, dc)
    press(item, people.member)  # the driver

    assert run(item) == "created"

    item.refresh_from_db()
    assert (item.jira_key, item.jira_url) == ("PAY-2", f"{dc.url}/browse/PAY-2")
    sent = dc.created["PAY-2"]
    assert sent["assignee"] == {"name": "mkhan"}
    assert isinstance(sent["description"], str)
    link = SITE + item.proposal.get_absolute_url()
    assert f"The decision and its rationale: {link}" in sent["description"]
    user_searches = [q for m, path, q in dc.requests if path.endswith("/user/search")]
    assert user_searches == [{"username": ["mkhan@example.com"], "maxResults": ["10"]}]


def test_an_owner_jira_does_not_know_leaves_the_ticket_unassigned(people, cloud):
    stranger = add_member(people.team, UserFactory(email="nobody@example.com"))
    proposal = decided(people, proposal_services.ActionItemInput(text="Tidy up", owner=stranger))
    item = proposal.action_items.get()
    connect(people.team, cloud)
    press(item, people.lead)

    assert run(item) == "created"

    sent = cloud.created[ActionItem.objects.get(pk=item.pk).jira_key]
    assert "assignee" not in sent
    assert cloud.issues[max(cloud.issues)].assignee is None


def test_cloud_owner_with_a_hidden_email_is_still_found_when_only_one_matches(people, item, cloud):
    cloud.hidden_emails.add("mkhan@example.com")
    connect(people.team, cloud)
    press(item, people.lead)

    run(item)

    assert cloud.created["PAY-2"]["assignee"] == {"accountId": "5b10ac8d82e05b22cc7d4ef5"}


# -- never twice ----------------------------------------------------------------------


def test_pressing_twice_queues_one_task(people, item, cloud, django_capture_on_commit_callbacks):
    connect(people.team, cloud)
    with django_capture_on_commit_callbacks() as queued:
        first = press(item, people.lead)
        second = press(item, people.member)
    assert len(queued) == 1
    assert first.jira_state == second.jira_state == JiraState.QUEUED
    assert first.jira_marker == second.jira_marker


def test_pressing_after_it_was_created_queues_nothing(
    people, item, cloud, django_capture_on_commit_callbacks
):
    connect(people.team, cloud)
    press(item, people.lead)
    run(item)
    with django_capture_on_commit_callbacks() as queued:
        again = press(item, people.lead)
    assert queued == []
    assert (again.jira_state, again.jira_key) == (JiraState.CREATED, "PAY-2")


def test_the_task_run_twice_creates_one_ticket(people, item, cloud):
    connect(people.team, cloud)
    press(item, people.lead)

    assert run(item) == "created"
    assert run(item) == "skipped"

    assert len(tickets_marked(cloud, item)) == 1
    assert len(cloud.created) == 1


def test_a_task_finding_a_fresh_claim_creates_nothing_and_looks_again_later(people, item, cloud):
    connect(people.team, cloud)
    press(item, people.lead)
    ActionItem.objects.filter(pk=item.pk).update(jira_state=JiraState.CREATING)

    with pytest.raises(ClaimBusy):
        action_item_jira_push(item_id=item.pk)

    assert cloud.created == {}
    assert ActionItem.objects.get(pk=item.pk).jira_state == JiraState.CREATING


def test_a_crash_after_jira_created_the_ticket_links_it_instead_of_creating_another(
    people, item, cloud
):
    connect(people.team, cloud)
    marker = press(item, people.lead).jira_marker
    # The worker died after Jira created the ticket, before the key was stored.
    (earlier,) = cloud.add(1, summary="Write the Redis runbook", labels=[marker])
    ActionItem.objects.filter(pk=item.pk).update(
        jira_state=JiraState.CREATING,
        jira_claimed_at=timezone.now() - JIRA_CLAIM_STALE_AFTER - dt.timedelta(seconds=1),
    )

    assert run(item) == "linked"

    item.refresh_from_db()
    assert (item.jira_state, item.jira_key) == (JiraState.CREATED, earlier.key)
    assert item.jira_url == f"{cloud.url}/browse/{earlier.key}"
    assert cloud.created == {}
    assert len(tickets_marked(cloud, item)) == 1


def test_a_timeout_after_jira_accepted_is_retried_and_links_that_ticket(
    people, item, cloud, settings
):
    settings.JIRA_TIMEOUT_SECONDS = 0.3
    connect(people.team, cloud)
    press(item, people.lead)
    # Jira takes the POST but answers too late: the ticket exists, the answer is lost.
    cloud.fail("/issue", delay=0.6)

    with pytest.raises(JiraTransientError):
        create_action_item_in_jira(item.pk)
    assert ActionItem.objects.get(pk=item.pk).jira_state == JiraState.QUEUED
    deadline = time.monotonic() + 5
    while not cloud.created and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(cloud.created) == 1

    assert run(item) == "linked"
    assert len(tickets_marked(cloud, item)) == 1


def test_a_server_error_is_retried(people, item, cloud):
    connect(people.team, cloud)
    press(item, people.lead)
    cloud.fail("/issue", status=500, times=1)

    assert run(item) == "created"

    creates = [path for method, path, _ in cloud.requests if method == "POST"]
    assert creates == ["/rest/api/3/issue", "/rest/api/3/issue"]
    assert len(tickets_marked(cloud, item)) == 1


def test_jira_still_failing_after_the_last_try_marks_it_failed(people, item, cloud):
    connect(people.team, cloud)
    press(item, people.lead)
    cloud.fail("/issue", status=503, times=100)

    assert run(item) == "failed"

    item.refresh_from_db()
    assert item.jira_state == JiraState.FAILED
    assert "503" in item.jira_error and "gave up" in item.jira_error
    assert cloud.created == {}


def test_refused_credentials_fail_with_a_message_and_can_be_tried_again(
    people, item, cloud, client_for
):
    connect(people.team, cloud, token="not-the-token")
    press(item, people.lead)

    assert run(item) == "failed"

    item.refresh_from_db()
    assert item.jira_state == JiraState.FAILED
    assert "401" in item.jira_error
    page = client_for(people.lead).get(item.proposal.get_absolute_url()).content.decode()
    assert "Not created in Jira: Jira refused the credentials (401 Unauthorized)" in page
    assert "Try again" in page
    assert press(item, people.lead).jira_state == JiraState.QUEUED


def test_an_assignee_jira_refuses_is_dropped_rather_than_failing(people, item, cloud):
    connect(people.team, cloud)
    press(item, people.lead)
    real_search = cloud.user_search
    cloud.user_search = lambda query: (200, [{**real_search(query)[1][0], "accountId": "gone"}])

    assert run(item) == "created"

    key = ActionItem.objects.get(pk=item.pk).jira_key
    assert "assignee" not in cloud.created[key]


def test_without_a_project_in_the_filter_or_tickets_it_fails_saying_why(people, item, cloud):
    connect(people.team, cloud, jql="assignee = currentUser()")
    press(item, people.lead)

    assert run(item) == "failed"

    assert "which Jira project" in ActionItem.objects.get(pk=item.pk).jira_error


def test_the_project_comes_from_the_filter():
    assert jql_project_key("project = PAY") == "PAY"
    assert jql_project_key('status = Done AND project in ("ops", PAY)') == "OPS"
    assert jql_project_key("project != PAY") == ""
    assert jql_project_key("labels = project") == ""


# -- the rules --------------------------------------------------------------------------


def test_only_a_decided_proposal_with_a_jira_site_sends_items(people, mo):
    proposal = decided(people, proposal_services.ActionItemInput(text="Tidy up", owner=mo))
    item = proposal.action_items.get()
    with pytest.raises(ValidationError, match="Connect the team's Jira site"):
        press(item, people.lead)
    ActionItem.objects.filter(pk=item.pk).update(jira_state=JiraState.NONE)
    make_jira_connection(people.team)
    proposal.status = "superseded"
    proposal.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="decided proposal"):
        press(item, people.lead)
    assert ActionItem.objects.get(pk=item.pk).jira_state == JiraState.NONE


@pytest.mark.parametrize("who", ["senior", "observer", "outsider"])
def test_the_service_refuses_people_other_than_leads_drivers_and_approvers(people, item, who):
    make_jira_connection(people.team)
    with pytest.raises(PermissionDenied):
        press(item, getattr(people, who))


def test_the_database_refuses_created_without_a_key_and_one_ticket_for_two_items(people, mo):
    proposal = decided(
        people,
        proposal_services.ActionItemInput(text="One"),
        proposal_services.ActionItemInput(text="Two"),
    )
    one, two = proposal.action_items.all()
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=one.pk).update(jira_state=JiraState.CREATED)
    linked = {"jira_state": JiraState.CREATED, "jira_url": "https://j.example.com/browse/A-1"}
    ActionItem.objects.filter(pk=one.pk).update(jira_key="A-1", **linked)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=two.pk).update(jira_key="A-1", **linked)
    with pytest.raises(IntegrityError), transaction.atomic():
        ActionItem.objects.filter(pk=two.pk).update(jira_state=JiraState.QUEUED)


# -- the pages ----------------------------------------------------------------------


def test_the_button_shows_for_leads_drivers_and_approvers_once_jira_is_connected(
    people, item, client_for
):
    page = item.proposal.get_absolute_url()
    assert "Create in Jira" not in client_for(people.lead).get(page).content.decode()
    make_jira_connection(people.team)
    for user, shown in [
        (people.lead, True),
        (people.member, True),
        (people.senior, False),
        (people.observer, False),
    ]:
        html = client_for(user).get(page).content.decode()
        assert ("Create in Jira" in html) is shown, user


def test_a_post_without_javascript_queues_and_redirects_with_a_message(
    people, item, client_for, django_capture_on_commit_callbacks
):
    make_jira_connection(people.team)
    client = client_for(people.member)
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(jira_url("action_item_jira", item))
        client.post(jira_url("action_item_jira", item))
    assert response.status_code == 302
    assert response["Location"] == f"{item.proposal.get_absolute_url()}#action-item-{item.pk}"
    assert len(queued) == 1
    page = client.get(response["Location"]).content.decode()
    assert "is being created in Jira" in page
    assert "Creating in Jira…" in page


def test_htmx_gets_the_row_which_polls_until_the_ticket_is_linked(people, item, cloud, client_for):
    connect(people.team, cloud)
    client = client_for(people.lead)

    response = client.post(jira_url("action_item_jira", item), **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.strip().startswith(f'<li id="action-item-{item.pk}"')
    assert "Creating in Jira…" in html
    assert 'hx-trigger="every 2s"' in html
    assert f'hx-get="{jira_url("action_item", item)}"' in html
    assert "Vary" in response and "HX-Request" in response["Vary"]

    # Polling a pending row does not ask whether the team has a Jira site: the row
    # offers no button while the ticket is being made.
    with CaptureQueriesContext(connection) as polled:
        assert "Creating in Jira…" in client.get(jira_url("action_item", item), **HTMX).text
    assert not [q for q in polled if "practices_jiraconnection" in q["sql"]]

    run(item)
    html = client.get(jira_url("action_item", item), **HTMX).content.decode()
    assert "every 2s" not in html
    assert (
        f'<a class="jira-key" href="{cloud.url}/browse/PAY-2" target="_blank" '
        'rel="noopener noreferrer"' in html
    )


def test_the_row_without_htmx_redirects_to_the_item_on_the_page(people, item, client_for):
    response = client_for(people.observer).get(jira_url("action_item", item))
    assert response["Location"] == f"{item.proposal.get_absolute_url()}#action-item-{item.pk}"


def test_an_htmx_refusal_comes_back_in_the_row(people, item, client_for):
    response = client_for(people.lead).post(jira_url("action_item_jira", item), **HTMX)
    assert response.status_code == 200
    assert "Connect the team&#x27;s Jira site first." in response.content.decode()


@pytest.mark.parametrize(
    ("who", "status"),
    [("observer", 403), ("outsider", 404), ("senior", 403), ("member", 302), ("lead", 302)],
)
def test_who_may_press_the_button(people, item, client_for, who, status):
    make_jira_connection(people.team)
    response = client_for(getattr(people, who)).post(jira_url("action_item_jira", item))
    assert response.status_code == status
    expected = JiraState.QUEUED if status == 302 else JiraState.NONE
    assert ActionItem.objects.get(pk=item.pk).jira_state == expected


def test_an_item_of_another_proposal_is_not_found(people, item, client_for):
    make_jira_connection(people.team)
    other = make_proposal(people.team, people.member, approver=people.lead, title="Other")
    url = reverse("proposals:action_item_jira", args=["pay", other.number, item.pk])
    assert client_for(people.lead).post(url).status_code == 404


def test_the_button_refuses_get(people, item, client_for):
    assert client_for(people.lead).get(jira_url("action_item_jira", item)).status_code == 405
    assert client_for(people.lead).post(jira_url("action_item", item)).status_code == 405
