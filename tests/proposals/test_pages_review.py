"""Reviewing a design page under the team charter's code review policy."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from practices.models import Membership, Role
from proposals.models import DesignPage, PageStatus, Review
from proposals.selectors import pages as selectors
from proposals.services import pages as services
from tests.factories import make_team
from tests.proposals.test_pages_support import (
    answer,
    edit,
    make_design_page,
    set_review_policy,
)

BERLIN = dt.timezone(dt.timedelta(hours=1))  # Europe/Berlin in December


def status(page) -> str:
    page.refresh_from_db()
    return page.status


def needs(page, user=None) -> list[str]:
    page.refresh_from_db()
    return selectors.design_page_review_panel(page=page, user=user or page.driver).progress.needs


# --- asking for reviews --------------------------------------------------------------------


def test_asking_for_reviews_puts_a_draft_in_review(people):
    page = make_design_page(people.team, people.member)
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.senior.pk, people.lead.pk]
    )
    assert status(page) == PageStatus.IN_REVIEW
    assert set(page.reviews.values_list("reviewer_id", "state")) == {
        (people.senior.pk, Review.State.REQUESTED),
        (people.lead.pk, Review.State.REQUESTED),
    }


def test_only_the_driver_asks_for_reviews(people):
    page = make_design_page(people.team, people.member)
    for user in (people.lead, people.senior, people.observer, people.outsider):
        with pytest.raises(PermissionDenied):
            services.design_page_request_review(
                page=page, actor=user, reviewer_ids=[people.senior.pk]
            )
    assert not page.reviews.exists() and status(page) == PageStatus.DRAFT


@pytest.mark.parametrize("who", ["observer", "outsider", "stranger_in_other_team"])
def test_reviewers_must_be_members_or_leads_of_the_team(people, who):
    if who == "stranger_in_other_team":
        user = make_team(name="Search", slug="search").memberships.get().user
    else:
        user = getattr(people, who)
    page = make_design_page(people.team, people.member)
    with pytest.raises(ValidationError, match="members or leads"):
        services.design_page_request_review(page=page, actor=people.member, reviewer_ids=[user.pk])
    assert not page.reviews.exists() and status(page) == PageStatus.DRAFT


def test_the_driver_cannot_ask_themselves_unless_self_approval_is_the_policy(people):
    page = make_design_page(people.team, people.member)
    with pytest.raises(ValidationError, match="You drive this page"):
        services.design_page_request_review(
            page=page, actor=people.member, reviewer_ids=[people.member.pk]
        )
    set_review_policy(people.team, kind="self_after_cooldown", cooldown_hours=24)
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.member.pk]
    )
    assert page.reviews.get().reviewer == people.member


def test_asking_someone_twice_changes_nothing(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.senior.pk]
    )
    assert page.reviews.count() == 1


def test_an_obsolete_page_is_not_reviewed(people):
    page = make_design_page(people.team, people.member)
    services.design_page_mark_obsolete(page=page, actor=people.member)
    with pytest.raises(ValidationError, match="obsolete"):
        services.design_page_request_review(
            page=page, actor=people.member, reviewer_ids=[people.senior.pk]
        )


# --- who answers, and how ------------------------------------------------------------------


def test_only_requested_reviewers_answer(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    for user in (people.lead, people.member, people.observer, people.outsider):
        with pytest.raises(PermissionDenied):
            answer(page, user)
    assert status(page) == PageStatus.IN_REVIEW


def test_a_reviewer_who_became_an_observer_no_longer_answers(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    Membership.objects.filter(team=people.team, user=people.senior).update(role=Role.OBSERVER)
    with pytest.raises(PermissionDenied):
        answer(page, people.senior)


def test_requesting_changes_needs_a_reason(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    with pytest.raises(ValidationError, match="reason is required"):
        answer(page, people.senior, approve=False, comment="   ")
    assert page.reviews.get().state == Review.State.REQUESTED


def test_an_answer_about_an_older_revision_is_refused(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    edit(page, people.member, "Changed while the senior was reading.")
    with pytest.raises(ValidationError, match="revision #2 now"):
        answer(page, people.senior, version=1)
    assert page.reviews.get().state == Review.State.REQUESTED
    assert status(page) == PageStatus.IN_REVIEW


def test_an_obsolete_page_is_not_answered(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    services.design_page_mark_obsolete(page=page, actor=people.member)
    with pytest.raises(ValidationError, match="not in review"):
        answer(page, people.senior)


# --- policy: a number of approvals ---------------------------------------------------------


def test_one_approval_is_the_default_policy(people):
    page = make_design_page(people.team, people.member, reviewers=[people.lead])
    assert needs(page) == ["1 approval"]
    review = answer(page, people.lead, comment="Looks right.")
    assert status(page) == PageStatus.APPROVED
    assert (review.state, review.version, review.comment) == ("approved", 1, "Looks right.")
    assert review.answered_at is not None


def test_n_approvals_are_counted(people):
    set_review_policy(people.team, kind="approvals", required_approvals=2, seniors_only=False)
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    assert needs(page) == ["2 approvals"]
    answer(page, people.lead)
    assert status(page) == PageStatus.IN_REVIEW
    assert needs(page) == ["1 more approval"]
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED


def test_too_few_reviewers_to_reach_the_number_is_said(people):
    set_review_policy(people.team, kind="approvals", required_approvals=3)
    page = make_design_page(people.team, people.member, reviewers=[people.lead])
    assert needs(page) == ["3 approvals", "2 more reviewers to ask"]


def test_only_seniors_count_when_the_charter_says_so(people):
    set_review_policy(people.team, kind="approvals", required_approvals=1, seniors_only=True)
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.lead)
    assert status(page) == PageStatus.IN_REVIEW
    assert needs(page) == ["1 senior approval"]
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED


def test_without_a_senior_asked_the_page_says_to_ask_one(people):
    set_review_policy(people.team, kind="approvals", required_approvals=2, seniors_only=True)
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.senior)
    assert needs(page) == ["1 more senior approval", "1 more senior reviewer to ask"]


def test_changes_requested_block_approval_until_that_reviewer_approves(people):
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.senior, approve=False, comment="Say how sessions expire.")
    answer(page, people.lead)  # one approval is the policy, but the senior objects
    assert status(page) == PageStatus.IN_REVIEW
    name = people.senior.get_full_name()
    assert needs(page) == [f"approval from {name}, who asked for changes"]
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED


def test_changes_requested_on_an_approved_page_send_it_back_to_review(people):
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.lead)
    assert status(page) == PageStatus.APPROVED
    answer(page, people.senior, approve=False, comment="Wait: expiry is missing.")
    assert status(page) == PageStatus.IN_REVIEW


def test_changes_requested_on_an_older_revision_do_not_block(people):
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.senior, approve=False, comment="Say how sessions expire.")
    edit(page, people.member, "Sessions expire after 14 days.")
    answer(page, people.lead)
    assert status(page) == PageStatus.APPROVED


def test_a_reviewer_who_left_the_team_does_not_count(people):
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED
    Membership.objects.filter(team=people.team, user=people.senior).delete()
    assert needs(page) == ["1 approval"]


# --- policy: consensus ---------------------------------------------------------------------


def test_consensus_needs_every_requested_reviewer(people):
    set_review_policy(people.team, kind="consensus", default_reviewers=["senior@example.com"])
    page = make_design_page(people.team, people.member)
    assert needs(page) == ["reviewers to ask: every reviewer asked must approve"]
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.lead.pk, people.senior.pk]
    )
    answer(page, people.lead)
    assert status(page) == PageStatus.IN_REVIEW
    assert needs(page) == [f"approval from {people.senior.get_full_name()}"]
    answer(page, people.senior, approve=False, comment="One question.")
    assert status(page) == PageStatus.IN_REVIEW
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED


def test_asking_one_more_reviewer_reopens_a_consensus(people):
    set_review_policy(people.team, kind="consensus", default_reviewers=["senior@example.com"])
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.lead.pk]
    )
    assert status(page) == PageStatus.IN_REVIEW
    assert needs(page) == [f"approval from {people.lead.get_full_name()}"]


def test_asking_one_more_reviewer_keeps_an_approval_by_numbers(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior)
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.lead.pk]
    )
    assert status(page) == PageStatus.APPROVED


def test_consensus_default_reviewers_are_ticked_in_the_form(people):
    set_review_policy(people.team, kind="consensus", default_reviewers=["senior@example.com"])
    page = make_design_page(people.team, people.member)
    candidates = selectors.design_page_review_panel(page=page, user=people.member).candidates
    assert candidates[0].user_id == people.senior.pk and candidates[0].is_default
    assert people.member.pk not in {c.user_id for c in candidates}
    assert people.observer.pk not in {c.user_id for c in candidates}


# --- policy: self-approval after a cool-down -----------------------------------------------


@pytest.fixture
def self_policy(people):
    set_review_policy(people.team, kind="self_after_cooldown", cooldown_hours=25)
    return people


def test_one_approval_is_enough_under_self_approval(self_policy):
    people = self_policy
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED


def test_the_driver_approves_their_own_page_once_the_cool_down_is_over(self_policy):
    people = self_policy
    with time_machine.travel(dt.datetime(2024, 12, 2, 13, 0, tzinfo=BERLIN), tick=False) as clock:
        page = make_design_page(people.team, people.member, reviewers=[people.member])
        assert needs(page) == ["1 approval, or self-approval possible from Tue 3 Dec 14:00"]
        with pytest.raises(ValidationError, match="from Tue 3 Dec 14:00"):
            answer(page, people.member)
        assert status(page) == PageStatus.IN_REVIEW
        clock.move_to(dt.datetime(2024, 12, 3, 14, 0, tzinfo=BERLIN))
        assert needs(page) == ["1 approval, or self-approval by the driver (possible now)"]
        answer(page, people.member)
        assert status(page) == PageStatus.APPROVED


def test_a_new_revision_restarts_the_cool_down(self_policy):
    people = self_policy
    with time_machine.travel(dt.datetime(2024, 12, 2, 13, 0, tzinfo=BERLIN), tick=False) as clock:
        page = make_design_page(people.team, people.member, reviewers=[people.member])
        clock.move_to(dt.datetime(2024, 12, 4, 9, 30, tzinfo=BERLIN))
        answer(page, people.member)
        assert status(page) == PageStatus.APPROVED
        edit(page, people.member, "A late change nobody has read.")
        assert status(page) == PageStatus.IN_REVIEW
        assert needs(page) == ["1 approval, or self-approval possible from Thu 5 Dec 10:30"]
        with pytest.raises(ValidationError, match="Thu 5 Dec 10:30"):
            answer(page, people.member)


def test_the_driver_does_not_ask_for_changes_to_their_own_page(self_policy):
    people = self_policy
    page = make_design_page(people.team, people.member, reviewers=[people.member])
    with pytest.raises(ValidationError, match="edit it instead"):
        answer(page, people.member, approve=False, comment="hmm")


def test_the_drivers_approval_does_not_count_under_another_policy(self_policy):
    people = self_policy
    page = make_design_page(people.team, people.member, reviewers=[people.member, people.lead])
    set_review_policy(people.team, kind="approvals", required_approvals=1)
    with pytest.raises(ValidationError, match="does not allow self-approval"):
        answer(page, people.member)
    assert needs(page) == ["1 approval"]


# --- revisions and answers -----------------------------------------------------------------


def test_earlier_approvals_stop_counting_after_a_new_revision(people):
    set_review_policy(people.team, kind="approvals", required_approvals=2)
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    answer(page, people.lead)
    answer(page, people.senior)
    assert status(page) == PageStatus.APPROVED
    edit(page, people.lead, "The lead fixed a typo.")
    assert status(page) == PageStatus.IN_REVIEW
    assert needs(page) == ["2 approvals"]
    panel = selectors.design_page_review_panel(page=page, user=people.member)
    assert [row.state_label for row in panel.reviewers] == [
        "Approved on #1 · waiting again",
        "Approved on #1 · waiting again",
    ]
    answer(page, people.senior)
    assert needs(page) == ["1 more approval"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviewers_answering_at_once_both_count(people):
    """Each answer locks the page row, so the second one sees the first and approves."""
    set_review_policy(people.team, kind="approvals", required_approvals=2)
    page = make_design_page(people.team, people.member, reviewers=[people.lead, people.senior])
    barrier = threading.Barrier(2)
    errors = []

    def approve(user):
        try:
            mine = DesignPage.objects.get(pk=page.pk)
            barrier.wait(timeout=10)
            services.design_page_review(
                page=mine, reviewer=user, approve=True, comment="", version=1
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(u,)) for u in (people.lead, people.senior)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert status(page) == PageStatus.APPROVED
