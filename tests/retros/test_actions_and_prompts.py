import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from practices.models import ActionItemStatus, JiraTicket, RetroActionItem, StatusCategory
from practices.retros import services
from proposals.models import Proposal
from tests.factories import make_jira_connection
from tests.proposals.factories import decide, make_proposal
from tests.retros.conftest import upcoming

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def two_retros(people, retro, clock):
    """The retro of 5 March (held, with action items) and the next one, of 19 March."""
    following = upcoming(people.team)[1]
    following.team = people.team
    for text, owner in [("Write the runbook", people.member), ("Fix flaky CI", people.senior)]:
        services.retro_action_item_add(
            retro=retro, text=text, owner=owner, due_date=dt.date(2026, 3, 12),
            created_by=people.lead,
        )  # fmt: skip
    clock.move_to(following.starts_at - dt.timedelta(hours=1))
    return retro, following


def review(client, retro, item, outcome):
    url = reverse("practices:retro_action_review", args=["pay", retro.pk, item.pk])
    return client.post(url, {"outcome": outcome}, **HX)


def test_member_adds_an_action_item_with_owner_and_due_date(client_for, people, retro):
    url = reverse("practices:retro_action_add", args=["pay", retro.pk])
    data = {
        "text": "Automate the release notes",
        "owner": people.senior.pk,
        "due_date": "2026-03-12",
    }
    response = client_for(people.member).post(url, data, **HX)
    assert response.status_code == 200
    item = RetroActionItem.objects.get()
    assert (item.owner, item.due_date, item.created_by) == (
        people.senior,
        dt.date(2026, 3, 12),
        people.member,
    )
    assert "Automate the release notes" in response.content.decode()


def test_action_item_owner_must_be_in_the_team(client_for, people, retro):
    url = reverse("practices:retro_action_add", args=["pay", retro.pk])
    response = client_for(people.member).post(url, {"text": "x", "owner": people.outsider.pk}, **HX)
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not RetroActionItem.objects.exists()


def test_next_retro_opens_with_the_open_action_items_for_review(client_for, people, two_retros):
    _held, following = two_retros
    page = client_for(people.member).get(following.get_absolute_url()).content.decode()
    review_html = page[page.index('id="retro-review"') :][:3000]
    assert "Write the runbook" in review_html and "Fix flaky CI" in review_html


def test_review_marks_done_drops_or_carries_an_item_over(client_for, people, two_retros):
    _held, following = two_retros
    runbook, flaky = RetroActionItem.objects.order_by("pk")
    client = client_for(people.member)
    assert review(client, following, runbook, "done").status_code == 200
    review(client, following, flaky, "carry")
    runbook.refresh_from_db()
    flaky.refresh_from_db()
    assert (runbook.status, runbook.reviewed_in) == (ActionItemStatus.DONE, following)
    assert flaky.status == ActionItemStatus.CARRIED
    copy = RetroActionItem.objects.get(retro=following)
    assert (copy.text, copy.owner, copy.carried_from, copy.status) == (
        "Fix flaky CI",
        people.senior,
        flaky,
        ActionItemStatus.OPEN,
    )
    page = client.get(following.get_absolute_url()).content.decode()
    assert "Nothing open from earlier retros." in page


def test_dropped_item_leaves_the_review(people, two_retros):
    _held, following = two_retros
    item = RetroActionItem.objects.first()
    services.retro_action_item_review(item=item, retro=following, outcome="drop")
    item.refresh_from_db()
    assert item.status == ActionItemStatus.DROPPED


def test_an_item_is_reviewed_once_even_when_two_people_click(people, two_retros):
    _held, following = two_retros
    item = RetroActionItem.objects.first()
    services.retro_action_item_review(item=item, retro=following, outcome="carry")
    with pytest.raises(ValidationError, match="reviewed this item already"):
        services.retro_action_item_review(item=item, retro=following, outcome="carry")
    assert RetroActionItem.objects.filter(retro=following).count() == 1


def test_items_of_a_later_retro_are_not_reviewed_in_an_earlier_one(people, two_retros):
    held, following = two_retros
    later = services.retro_action_item_add(
        retro=following, text="Later", owner=None, due_date=None, created_by=people.lead
    )
    with pytest.raises(ValidationError):
        services.retro_action_item_review(item=later, retro=held, outcome="done")


def test_observer_cannot_review_action_items(client_for, people, two_retros):
    _held, following = two_retros
    item = RetroActionItem.objects.first()
    assert review(client_for(people.observer), following, item, "done").status_code == 403
    item.refresh_from_db()
    assert item.status == ActionItemStatus.OPEN


def test_decisions_due_for_review_since_the_last_retro_are_prompted(client_for, people, two_retros):
    _held, following = two_retros
    titles = {"Due now": dt.date(2026, 3, 18), "Reviewed before": dt.date(2026, 3, 1),
              "Due later": dt.date(2026, 4, 30)}  # fmt: skip
    for title, review_on in titles.items():
        proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True,
                                 title=title)  # fmt: skip
        decide(proposal)
        Proposal.objects.filter(pk=proposal.pk).update(review_on=review_on)
    page = client_for(people.member).get(following.get_absolute_url()).content.decode()
    prompts = page[page.index("Decisions due for review") :][:2000]
    assert "Due now" in prompts
    assert "Reviewed before" not in prompts and "Due later" not in prompts


def ticket(connection, key, resolved):
    now = timezone.now()
    return JiraTicket.objects.create(
        connection=connection, jira_id=hash(key) % 10**9, key=key, summary=f"Summary {key}",
        issue_type="Story", status="Done", status_category=StatusCategory.DONE,
        created=now, updated=now, resolved=resolved, status_entered_at=now,
        url=f"https://jira.example.com/browse/{key}", synced_at=now,
    )  # fmt: skip


def test_tickets_finished_since_the_last_retro_are_prompted_when_jira_is_connected(
    client_for, people, two_retros
):
    held, following = two_retros
    client = client_for(people.member)
    assert (
        "Finished since the last retro"
        not in client.get(following.get_absolute_url()).content.decode()
    )
    connection = make_jira_connection(people.team)
    ticket(connection, "PAY-1", held.starts_at - dt.timedelta(days=1))
    ticket(connection, "PAY-2", held.starts_at + dt.timedelta(days=2))
    page = client.get(following.get_absolute_url()).content.decode()
    prompts = page[page.index("Finished since the last retro") :][:2000]
    assert "PAY-2" in prompts and "PAY-1" not in prompts
