"""A review policy the team cannot meet: the charter warns, the page says why, a lead unblocks.

The case of issue 10: "1 senior approval" where the only senior drives the page.
"""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from practices.models import CharterSection, Membership
from proposals.models import DesignPage, PageEvent, PageStatus
from proposals.services import pages as services
from tests.proposals.test_pages_support import HTMX, edit, make_design_page, set_review_policy


def charter_edit_url():
    return reverse("practices:charter_section_edit", args=["pay", "code_review"])


def page_url(name, page):
    return reverse(f"proposals:{name}", args=["pay", page.number])


def policy_post(**overrides):
    return {
        "version": "0",
        "kind": "approvals",
        "required_approvals": "1",
        "seniors_only": "on",
        "cooldown_hours": "0",
        "turnaround_hours": "24",
        **overrides,
    }


def name(user):
    return user.get_full_name()


@pytest.fixture
def stuck_page(people):
    """Policy "1 senior approval"; the team's only senior drives a page in review."""
    set_review_policy(people.team, kind="approvals", required_approvals=1, seniors_only=True)
    return make_design_page(people.team, people.senior, reviewers=[people.member, people.lead])


# --- the charter warns -----------------------------------------------------------------------


def test_saving_a_senior_policy_with_one_senior_warns_that_their_pages_deadlock(people, client_for):
    response = client_for(people.lead).post(charter_edit_url(), policy_post(), **HTMX)
    assert response.status_code == 200
    assert "a page driven by " + name(people.senior) + " cannot be approved" in response.text
    assert "Mark someone senior on the members page" in response.text
    # A warning, not a refusal: the policy is saved.
    assert CharterSection.objects.get(team=people.team, key="code_review").version == 1


def test_a_policy_no_page_can_meet_says_so_without_javascript(people, client_for):
    response = client_for(people.lead).post(
        charter_edit_url(), policy_post(required_approvals="2"), follow=True
    )
    assert "Code review saved." in response.text
    assert "the team has 1 senior member or lead: no page can be approved" in response.text


def test_a_policy_the_team_can_meet_saves_without_a_warning(people, client_for):
    response = client_for(people.lead).post(
        charter_edit_url(), policy_post(seniors_only=""), **HTMX
    )
    assert "cannot be approved" not in response.text
    assert "notice-warn" not in response.text


def test_a_second_senior_clears_the_warning(people, client_for):
    Membership.objects.filter(team=people.team, user=people.member).update(is_senior=True)
    response = client_for(people.lead).post(charter_edit_url(), policy_post(), **HTMX)
    assert "cannot be approved" not in response.text


def test_making_the_second_senior_an_observer_warns_about_the_policy(people, client_for):
    set_review_policy(people.team, kind="approvals", required_approvals=1, seniors_only=True)
    Membership.objects.filter(team=people.team, user=people.member).update(is_senior=True)
    membership = Membership.objects.get(team=people.team, user=people.member)
    response = client_for(people.lead).post(
        reverse("practices:member_update", args=["pay", membership.pk]),
        {"role": "observer", "is_senior": "on"},
        follow=True,
    )
    assert "The charter&#x27;s code review policy: Every design page needs 1 senior" in (
        response.text
    )
    assert f"a page driven by {name(people.senior)} cannot be approved" in response.text


def test_a_role_change_that_keeps_the_policy_meetable_does_not_warn(people, client_for):
    membership = Membership.objects.get(team=people.team, user=people.observer)
    response = client_for(people.lead).post(
        reverse("practices:member_update", args=["pay", membership.pk]),
        {"role": "member"},
        follow=True,
    )
    assert "code review policy" not in response.text


# --- the page says why it is stuck -------------------------------------------------------------


def test_the_stuck_page_explains_why_to_a_member_without_the_leads_way_out(
    stuck_page, people, client_for
):
    response = client_for(people.member).get(page_url("page_detail", stuck_page))
    text = response.text
    assert "Why it is stuck" in text
    assert "the driver is the team&#x27;s only senior: nobody else can approve" in text
    assert "A lead of Payments can mark someone senior" in text
    assert "Approve as lead" not in text
    assert page_url("page_lead_approve", stuck_page) not in text


def test_the_stuck_page_offers_a_lead_the_members_page_and_approval_with_a_note(
    stuck_page, people, client_for
):
    response = client_for(people.lead).get(page_url("page_detail", stuck_page))
    text = response.text
    assert "mark someone senior on the members page" in text
    assert reverse("practices:members", args=["pay"]) in text
    assert "Approve as lead" in text
    assert page_url("page_lead_approve", stuck_page) in text


def test_a_page_the_team_can_still_approve_is_not_called_stuck(people, client_for):
    set_review_policy(people.team, kind="approvals", required_approvals=1, seniors_only=True)
    page = make_design_page(people.team, people.member, reviewers=[people.lead])
    response = client_for(people.lead).get(page_url("page_detail", page))
    assert "Why it is stuck" not in response.text
    assert "Approve as lead" not in response.text
    assert "1 senior approval" in response.text


def test_marking_someone_senior_unsticks_the_page(stuck_page, people, client_for):
    membership = Membership.objects.get(team=people.team, user=people.member)
    client = client_for(people.lead)
    client.post(
        reverse("practices:member_update", args=["pay", membership.pk]),
        {"role": "member", "is_senior": "on"},
    )
    assert "Why it is stuck" not in client.get(page_url("page_detail", stuck_page)).text
    services.design_page_review(
        page=stuck_page, reviewer=people.member, approve=True, comment="", version=1
    )
    stuck_page.refresh_from_db()
    assert stuck_page.status == PageStatus.APPROVED


# --- the lead's way out --------------------------------------------------------------------------


def test_a_lead_approves_a_stuck_page_with_a_note_on_its_timeline(stuck_page, people, client_for):
    client = client_for(people.lead)
    response = client.post(
        page_url("page_lead_approve", stuck_page),
        {"note": "Only Sam knows this area; we pair-reviewed it live.", "version": "1"},
        follow=True,
    )
    assert response.status_code == 200
    stuck_page.refresh_from_db()
    assert stuck_page.status == PageStatus.APPROVED
    event = PageEvent.objects.get(page=stuck_page)
    assert (event.kind, event.actor, event.version) == (
        PageEvent.Kind.LEAD_APPROVED,
        people.lead,
        1,
    )
    text = client.get(page_url("page_detail", stuck_page)).text
    assert "Timeline" in text
    assert "approved revision #1 as lead" in text
    assert "we pair-reviewed it live." in text
    assert "Approved by a lead" in text


def test_the_lead_approval_over_htmx_answers_with_the_panel(stuck_page, people, client_for):
    response = client_for(people.lead).post(
        page_url("page_lead_approve", stuck_page), {"note": "Reviewed in person.", "version": "1"},
        **HTMX,
    )  # fmt: skip
    assert response.status_code == 200
    assert 'id="review"' in response.text
    assert "Approved revision #1 as lead" in response.text


def test_a_lead_approval_needs_a_note_shown_next_to_the_field(stuck_page, people, client_for):
    response = client_for(people.lead).post(
        page_url("page_lead_approve", stuck_page), {"note": "  ", "version": "1"}, **HTMX
    )
    assert response.status_code == 200
    assert "Say why you approve it" in response.text
    stuck_page.refresh_from_db()
    assert stuck_page.status == PageStatus.IN_REVIEW
    assert not PageEvent.objects.exists()


def test_a_member_cannot_approve_as_lead(stuck_page, people, client_for):
    response = client_for(people.member).post(
        page_url("page_lead_approve", stuck_page), {"note": "Let me through.", "version": "1"}
    )
    assert response.status_code == 403
    with pytest.raises(PermissionDenied):
        services.design_page_lead_approve(
            page=stuck_page, actor=people.member, note="Let me through.", version=1
        )
    stuck_page.refresh_from_db()
    assert stuck_page.status == PageStatus.IN_REVIEW
    assert stuck_page.lead_approved_version is None


def test_a_lead_cannot_bypass_a_review_the_team_can_still_give(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    with pytest.raises(ValidationError, match="can still meet its review policy"):
        services.design_page_lead_approve(
            page=page, actor=people.lead, note="Faster this way.", version=1
        )
    assert DesignPage.objects.get(pk=page.pk).status == PageStatus.IN_REVIEW


def test_a_lead_approval_holds_for_its_revision_only(stuck_page, people):
    services.design_page_lead_approve(
        page=stuck_page, actor=people.lead, note="Reviewed together.", version=1
    )
    edit(stuck_page, people.senior, "A different design.")
    stuck_page.refresh_from_db()
    assert stuck_page.status == PageStatus.IN_REVIEW


def test_a_lead_approval_of_a_revision_the_lead_has_not_seen_is_refused(stuck_page, people):
    edit(stuck_page, people.senior, "Changed meanwhile.")
    with pytest.raises(ValidationError, match="changed since you opened it"):
        services.design_page_lead_approve(
            page=stuck_page, actor=people.lead, note="Fine.", version=1
        )
