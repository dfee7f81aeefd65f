"""A review policy nobody can meet, and roles handed over, as a lead meets them in a browser."""

import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from practices.models import Membership, Role
from proposals.models import DesignPage, PageEvent, PageStatus, Proposal
from tests.proposals.factories import make_proposal
from tests.proposals.test_pages_support import make_design_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


def screenshot(page: Page, name: str) -> None:
    """Kept for a person to look at when SCREENSHOTS names a folder; a no-op otherwise."""
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def test_lead_is_warned_then_unblocks_the_stuck_page_with_a_note(
    people, page_for, browser_problems
):
    lead = page_for(people.lead)
    lead.goto(reverse("practices:charter", args=[people.team.slug]))
    lead.get_by_role("link", name="Edit Code review").click()
    section = lead.locator("section#code_review")
    section.get_by_label("Only approvals from seniors count").check()
    section.get_by_role("button", name="Save").click()
    warning = section.get_by_role("alert")
    expect(warning).to_contain_text("cannot be approved")
    expect(warning).to_contain_text(people.senior.get_full_name())

    page = make_design_page(people.team, people.senior, reviewers=[people.member])
    lead.goto(page.get_absolute_url())
    expect(lead.get_by_role("heading", name="Why it is stuck")).to_be_visible()
    screenshot(lead, "design-page-stuck")
    lead.get_by_label("Why you approve it").fill("We reviewed it together on a call.")
    lead.get_by_role("button", name="Approve revision #1").click()
    expect(lead.locator("#review")).to_contain_text("Approved revision #1 as lead")
    page.refresh_from_db()
    assert page.status == PageStatus.APPROVED
    lead.reload()
    expect(lead.locator("#timeline")).to_contain_text("We reviewed it together on a call.")
    screenshot(lead, "design-page-lead-approved")
    assert browser_problems == []


def test_lead_hands_an_observers_roles_to_a_member(people, page_for, browser_problems):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    page = make_design_page(people.team, people.member)
    Membership.objects.filter(team=people.team, user=people.member).update(role=Role.OBSERVER)
    lead = page_for(people.lead)
    lead.goto(reverse("practices:members", args=[people.team.slug]))
    expect(lead.get_by_text("As an observer they can no longer act on these")).to_be_visible()
    membership = Membership.objects.get(team=people.team, user=people.member)
    row = lead.locator("tr", has=lead.locator(f"#member-{membership.pk}"))
    row.get_by_text("Hand over…").click()
    screenshot(lead, "members-open-roles")
    row.get_by_label("Hand over to").select_option(label=people.senior.get_full_name())
    row.get_by_role("button", name="Hand over", exact=True).click()
    expect(lead.get_by_text("Handed 2 roles over to")).to_be_visible()
    assert Proposal.objects.get(pk=proposal.pk).driver == people.senior
    assert DesignPage.objects.get(pk=page.pk).driver == people.senior
    assert PageEvent.objects.filter(page=page, kind=PageEvent.Kind.HANDED_OVER).exists()
    assert browser_problems == []
