"""Reviews of a design page through its views: the driver asks, reviewers answer, with
and without htmx; forged or stale answers change nothing."""

import re

import pytest

from proposals.models import PageStatus, Review
from tests.factories import make_team
from tests.proposals.test_pages_support import (
    HTMX,
    answer,
    edit,
    make_design_page,
    set_review_policy,
)
from tests.proposals.test_pages_views import url

# --- asking for reviews --------------------------------------------------------------------


def test_the_driver_asks_for_reviews_without_javascript(people, client_for):
    page = make_design_page(people.team, people.member)
    response = client_for(people.member).post(
        url("page_request_review", page), {"reviewers": [people.senior.pk, people.lead.pk]}
    )
    assert response.status_code == 302
    assert response["Location"].endswith("#review")
    assert page.reviews.count() == 2
    page.refresh_from_db()
    assert page.status == PageStatus.IN_REVIEW


def test_asking_for_reviews_with_htmx_updates_the_panel_and_the_status(people, client_for):
    page = make_design_page(people.team, people.member)
    response = client_for(people.member).post(
        url("page_request_review", page), {"reviewers": [people.senior.pk]}, **HTMX
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="review"')
    assert "Asked 1 person to review." in response.text
    assert 'id="page-status" class="note page-status" hx-swap-oob="true"' in response.text
    assert "In review" in response.text
    assert "<html" not in response.text
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_forged_reviewers_are_refused_and_change_nothing(people, client_for):
    page = make_design_page(people.team, people.member)
    other = make_team(name="Search", slug="search")
    stranger = other.memberships.get().user
    client = client_for(people.member)
    for forged in ([stranger.pk], [people.observer.pk], [people.member.pk], [999_999], ["x"]):
        response = client.post(url("page_request_review", page), {"reviewers": forged}, **HTMX)
        assert response.status_code == 200
        assert "Pick reviewers from the list" in response.text
    assert "Pick at least one reviewer" in client.post(url("page_request_review", page)).text
    assert not page.reviews.exists()
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT


def test_only_the_driver_asks_and_only_by_post(people, client_for):
    page = make_design_page(people.team, people.member)
    data = {"reviewers": [people.senior.pk]}
    assert client_for(people.lead).post(url("page_request_review", page), data).status_code == 403
    assert client_for(people.outsider).post(url("page_request_review", page), data).status_code == (
        404
    )
    assert client_for(people.member).get(url("page_request_review", page)).status_code == 405
    assert not page.reviews.exists()


def test_under_self_approval_the_driver_may_ask_themselves(people, client_for):
    set_review_policy(people.team, kind="self_after_cooldown", cooldown_hours=4)
    page = make_design_page(people.team, people.member)
    client = client_for(people.member)
    assert "you (self-approval after the cool-down)" in client.get(url("page_detail", page)).text
    client.post(url("page_request_review", page), {"reviewers": [people.member.pk]})
    assert page.reviews.get().reviewer == people.member


# --- answering -----------------------------------------------------------------------------


def review_post(page, decision="approve", comment="", version=None):
    return {"decision": decision, "comment": comment, "version": version or page.version}


def test_an_approval_with_htmx_updates_the_review_panel_in_place(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    response = client_for(people.senior).post(url("page_review", page), review_post(page), **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert "Thanks: your review is recorded." in response.text
    assert "✓ Approved" in response.text  # the status line, swapped out of band
    assert "hx-swap-oob" in response.text
    assert "HX-Request" in response["Vary"]
    page.refresh_from_db()
    assert page.status == PageStatus.APPROVED


def test_the_reviewer_sees_their_current_answer_to_change_it(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior, approve=False, comment="Explain expiry.")
    response = client_for(people.senior).get(url("page_detail", page))
    assert "Change your review of revision #1" in response.text
    assert re.search(r'value="changes"[^>]*checked', response.text)
    assert "Explain expiry.</textarea>" in response.text
    edit(page, people.member, "Expiry: 14 days.")
    response = client_for(people.senior).get(url("page_detail", page))
    assert "Your review of revision #2" in response.text
    assert "see what changed since" in response.text


def test_an_answer_without_javascript_redirects_to_the_panel(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    response = client_for(people.senior).post(
        url("page_review", page), review_post(page, "changes", "Explain expiry.")
    )
    assert response.status_code == 302 and response["Location"].endswith("#review")
    review = page.reviews.get()
    assert (review.state, review.comment) == (Review.State.CHANGES, "Explain expiry.")


@pytest.mark.parametrize("htmx", [True, False])
def test_changes_without_a_reason_are_refused_next_to_the_field(people, client_for, htmx):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    response = client_for(people.senior).post(
        url("page_review", page), review_post(page, "changes", "  "), **(HTMX if htmx else {})
    )
    assert response.status_code == 200
    assert "Say what should change: a reason is required." in response.text
    assert ("<html" in response.text) is not htmx
    assert page.reviews.get().state == Review.State.REQUESTED


def test_an_answer_to_a_stale_revision_is_refused(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    edit(page, people.member, "changed meanwhile")
    response = client_for(people.senior).post(
        url("page_review", page), review_post(page, version=1), **HTMX
    )
    assert "it is at revision #2 now" in response.text
    assert page.reviews.get().state == Review.State.REQUESTED


def test_only_requested_reviewers_answer_and_only_by_post(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    for user, status in (
        (people.lead, 403),
        (people.member, 403),
        (people.observer, 403),
        (people.outsider, 404),
    ):
        response = client_for(user).post(url("page_review", page), review_post(page))
        assert response.status_code == status
    assert client_for(people.senior).get(url("page_review", page)).status_code == 405
    assert page.reviews.get().state == Review.State.REQUESTED


def test_a_bad_decision_value_is_refused(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    response = client_for(people.senior).post(
        url("page_review", page), review_post(page, decision="merge"), **HTMX
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.text
    assert page.reviews.get().state == Review.State.REQUESTED
