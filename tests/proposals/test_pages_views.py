"""The design page views: what each person sees and may do, with and without htmx."""

import re

import pytest
from django.urls import reverse

from proposals.models import DesignPage, PageStatus
from proposals.services import pages as services
from tests.factories import make_team
from tests.proposals.test_pages_support import (
    answer,
    edit,
    make_decided_proposal,
    make_design_page,
    set_review_policy,
)
from tests.test_markdown import assert_harmless, elements

PAGE_LINK = re.compile(r'href="/t/pay/design/\d+/"')


def url(name, page=None, slug="pay"):
    if page is None:
        return reverse(f"proposals:{name}", args=[slug])
    return reverse(f"proposals:{name}", args=[slug, page.number])


def article(html: str) -> str:
    """The rendered page body only (the layout around it has its own script tag)."""
    return html.split('<div class="prose page-body">', 1)[1].split("<footer", 1)[0]


# --- list ----------------------------------------------------------------------------------


def test_list_shows_the_teams_pages_with_status_driver_and_reviews(people, client_for):
    page = make_design_page(people.team, people.member, title="Session store")
    services.design_page_request_review(
        page=page, actor=people.member, reviewer_ids=[people.senior.pk, people.lead.pk]
    )
    answer(page, people.senior)
    other = make_team(name="Search", slug="search")
    make_design_page(other, other.memberships.get().user, title="Someone else's page")
    response = client_for(people.observer).get(url("page_list"))
    assert response.status_code == 200
    assert "Session store" in response.text and "Design #1" in response.text
    assert "✓ Approved" in response.text
    assert "1 of 2 approved" in response.text
    assert people.member.get_full_name() in response.text
    assert "Someone else's page" not in response.text
    assert url("page_create") not in response.text  # observers read only


def test_list_filters_by_status_and_paginates(people, client_for):
    for i in range(30):
        make_design_page(people.team, people.member, title=f"Page {i}")
    DesignPage.objects.filter(number__lte=3).update(status=PageStatus.OBSOLETE)
    client = client_for(people.member)
    first = client.get(url("page_list"))
    assert len(PAGE_LINK.findall(first.text)) == 25
    assert "Page 1 of 2" in first.text
    assert len(PAGE_LINK.findall(client.get(url("page_list"), {"page": "2"}).text)) == 5
    obsolete = client.get(url("page_list"), {"status": "obsolete"})
    assert len(PAGE_LINK.findall(obsolete.text)) == 3
    assert client.get(url("page_list"), {"status": "bogus", "page": "x"}).status_code == 200


def test_list_empty_state_says_what_to_do(people, client_for):
    response = client_for(people.member).get(url("page_list"))
    assert "No design pages yet" in response.text
    assert "Create the design page" in response.text
    assert url("page_create") in response.text
    filtered = client_for(people.member).get(url("page_list"), {"status": "approved"})
    assert "No pages with the status “Approved”" in filtered.text


def test_list_of_pages_waiting_for_my_review(people, client_for):
    waiting = make_design_page(people.team, people.member, title="Waiting", reviewers=[people.lead])
    done = make_design_page(people.team, people.member, title="Answered", reviewers=[people.lead])
    answer(done, people.lead, approve=False, comment="No.")
    make_design_page(people.team, people.member, title="Not asked")
    response = client_for(people.lead).get(url("page_list"), {"view": "needs-my-review"})
    assert "Waiting" in response.text
    assert "Answered" not in response.text and "Not asked" not in response.text
    edit(done, people.member, "Fixed.")  # a new revision waits for the lead again
    response = client_for(people.lead).get(url("page_list"), {"view": "needs-my-review"})
    assert "Answered" in response.text and waiting.title in response.text


# --- create --------------------------------------------------------------------------------


def test_a_member_starts_a_page_and_drives_it(people, client_for):
    client = client_for(people.senior)
    form = client.get(url("page_create"))
    assert form.status_code == 200
    assert "## Alternatives considered" in form.text  # a new page starts from an outline
    response = client.post(url("page_create"), {"title": "Rate limits", "body": "Token bucket."})
    page = DesignPage.objects.get()
    assert response.status_code == 302 and response["Location"] == url("page_detail", page)
    assert (page.title, page.body, page.driver) == ("Rate limits", "Token bucket.", people.senior)


@pytest.mark.parametrize("user", ["observer", "outsider"])
def test_observers_and_outsiders_cannot_start_a_page(people, client_for, user):
    client = client_for(getattr(people, user))
    expected = 404 if user == "outsider" else 403
    assert client.get(url("page_create")).status_code == expected
    assert client.post(url("page_create"), {"title": "x"}).status_code == expected
    assert not DesignPage.objects.exists()


def test_an_empty_title_is_refused_next_to_the_field(people, client_for):
    response = client_for(people.member).post(url("page_create"), {"title": " ", "body": "kept"})
    assert response.status_code == 200
    assert "Give the page a title." in response.text
    assert "kept" in response.text  # nothing typed is lost
    assert not DesignPage.objects.exists()


def test_a_one_megabyte_body_is_refused_with_a_clear_message(people, client_for):
    body = "x" * 1_000_000
    response = client_for(people.member).post(url("page_create"), {"title": "Big", "body": body})
    assert response.status_code == 200
    assert "The page is 1,000,000 characters long; the limit is 200,000." in response.text
    assert not DesignPage.objects.exists()


# --- from a proposal -----------------------------------------------------------------------


def test_one_click_makes_the_design_page_of_a_decided_proposal(people, client_for):
    proposal = make_decided_proposal(people.team, people.lead)
    client = client_for(people.member)
    response = client.post(url("page_from_proposal", proposal), follow=True)
    page = DesignPage.objects.get()
    assert response.redirect_chain[0][0] == url("page_detail", page)
    assert "Design page started from DACI-1" in response.text
    assert "<h2>Decision: Redis</h2>" in response.text
    assert 'href="/t/pay/proposals/1/"' in response.text
    again = client.post(url("page_from_proposal", proposal), follow=True)
    assert again.redirect_chain[0][0] == url("page_detail", page)
    assert "DACI-1 already has this design page" in again.text
    assert DesignPage.objects.count() == 1


def test_an_undecided_proposal_gets_no_page(people, client_for):
    proposal = make_decided_proposal(people.team, people.lead)
    proposal.status = "open"
    proposal.save(update_fields=["status"])
    response = client_for(people.member).post(url("page_from_proposal", proposal))
    assert response.status_code == 302
    assert response["Location"] == reverse("proposals:detail", args=["pay", 1])
    assert not DesignPage.objects.exists()


def test_page_from_proposal_refuses_gets_observers_and_other_teams(people, client_for):
    proposal = make_decided_proposal(people.team, people.lead)
    other = make_team(name="Search", slug="search")
    foreign = make_decided_proposal(other, other.memberships.get().user, number=7)
    assert client_for(people.member).get(url("page_from_proposal", proposal)).status_code == 405
    assert client_for(people.observer).post(url("page_from_proposal", proposal)).status_code == 403
    member = client_for(people.member)
    assert member.post(url("page_from_proposal", foreign)).status_code == 404  # pay has no 7
    assert member.post(url("page_from_proposal", foreign, slug="search")).status_code == 404
    assert not DesignPage.objects.exists()


# --- detail --------------------------------------------------------------------------------


def test_detail_shows_the_rendered_page_status_needs_and_reviewers(people, client_for):
    set_review_policy(people.team, kind="approvals", required_approvals=1, seniors_only=True)
    page = make_design_page(
        people.team, people.member, body="## Plan\n\n- **one**", reviewers=[people.lead]
    )
    answer(page, people.lead, approve=False, comment="What about <b>expiry</b>?")
    response = client_for(people.observer).get(url("page_detail", page))
    assert response.status_code == 200
    body = article(response.text)
    assert "<h2>Plan</h2>" in body and "<strong>one</strong>" in body
    assert "In review" in response.text
    lead = people.lead.get_full_name()
    assert f"approval from {lead}, who asked for changes" in response.text
    assert "1 senior approval" in response.text
    assert "What about &lt;b&gt;expiry&lt;/b&gt;?" in response.text
    assert ">1 senior approval; reviews within 24 hours</a>" in response.text
    # Observers read: no edit link, no forms.
    assert url("page_edit", page) not in response.text
    assert url("page_review", page) not in response.text
    assert url("page_request_review", page) not in response.text


def test_the_driver_sees_edit_and_ask_the_reviewer_sees_the_answer_form(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    driver = client_for(people.member).get(url("page_detail", page)).text
    assert url("page_edit", page) in driver and url("page_request_review", page) in driver
    assert url("page_review", page) not in driver
    assert people.observer.get_full_name() not in driver  # observers are not offered
    reviewer = client_for(people.senior).get(url("page_detail", page)).text
    assert url("page_review", page) in reviewer
    assert 'name="version" value="1"' in reviewer
    assert url("page_edit", page) not in reviewer


def test_detail_shows_times_in_the_teams_time_zone(people, client_for):
    page = make_design_page(people.team, people.member)
    DesignPage.objects.filter(pk=page.pk).update(
        updated_at="2024-07-01T10:00:00Z"  # 12:00 in Berlin
    )
    response = client_for(people.member).get(url("page_detail", page))
    assert "Mon 1 Jul 2024, 12:00" in response.text


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        '<div onmouseover="alert(1)">hover</div>',
    ],
)
def test_hostile_markdown_is_neutralised(people, client_for, hostile):
    page = make_design_page(people.team, people.member, title=hostile, body=f"Text {hostile}")
    response = client_for(people.senior).get(url("page_detail", page))
    assert_harmless(article(response.text))
    # And the whole page (the title is shown in several places): no element runs script,
    # apart from our own htmx file.
    for tag, attrs in elements(response.text):
        if tag == "script":
            assert attrs["src"].startswith("/static/")
        assert not any(name.startswith("on") for name in attrs), tag
        assert not attrs.get("href", "").lower().startswith("javascript:")


def test_a_missing_or_foreign_page_is_404(people, client_for):
    other = make_team(name="Search", slug="search")
    foreign = make_design_page(other, other.memberships.get().user)
    foreign.number = 5
    foreign.save(update_fields=["number"])
    client = client_for(people.member)
    assert client.get(reverse("proposals:page_detail", args=["pay", 5])).status_code == 404
    assert client.get(reverse("proposals:page_detail", args=["search", 5])).status_code == 404


# --- edit ----------------------------------------------------------------------------------


def edit_post(page, body, *, version=None, title=None, message="why"):
    return {
        "title": title or page.title,
        "body": body,
        "version": page.version if version is None else version,
        "message": message,
    }


def test_the_driver_edits_and_a_revision_is_saved(people, client_for):
    page = make_design_page(people.team, people.member, body="old")
    client = client_for(people.member)
    form = client.get(url("page_edit", page))
    assert form.status_code == 200
    assert 'name="version" value="1"' in form.text
    assert "The driver" in form.text and "the team's leads edit this page" in form.text
    response = client.post(url("page_edit", page), edit_post(page, "new\r\nlines"))
    assert response.status_code == 302
    page.refresh_from_db()
    assert page.body == "new\nlines" and page.version == 2
    assert page.revisions.get(number=2).message == "why"


def test_a_lead_edits_other_members_do_not(people, client_for):
    page = make_design_page(people.team, people.member, body="old")
    assert client_for(people.lead).get(url("page_edit", page)).status_code == 200
    for user, status in ((people.senior, 403), (people.observer, 403), (people.outsider, 404)):
        client = client_for(user)
        assert client.get(url("page_edit", page)).status_code == status
        assert client.post(url("page_edit", page), edit_post(page, "x")).status_code == status
    page.refresh_from_db()
    assert page.body == "old" and page.version == 1


def test_a_stale_edit_shows_the_other_change_and_keeps_yours(people, client_for):
    page = make_design_page(people.team, people.member, body="Sessions live in Postgres.\n")
    edit(page, people.lead, "Sessions live in Redis.\n")  # while the driver edits version 1
    client = client_for(people.member)
    response = client.post(
        url("page_edit", page), edit_post(page, "Sessions live in Memcached.\n", version=1)
    )
    assert response.status_code == 200
    assert "Someone else saved this page while you were editing" in response.text
    assert "Nothing was overwritten" in response.text
    assert "+ Sessions live in Redis." in response.text  # their change
    assert "Sessions live in Memcached." in response.text  # yours, kept in the form
    assert 'name="version" value="2"' in response.text
    page.refresh_from_db()
    assert page.body == "Sessions live in Redis.\n" and page.version == 2
    again = client.post(
        url("page_edit", page), edit_post(page, "Sessions live in Memcached.\n", version=2)
    )
    assert again.status_code == 302
    page.refresh_from_db()
    assert page.body == "Sessions live in Memcached.\n" and page.version == 3


def test_edit_form_refuses_bad_input_and_keeps_it(people, client_for):
    page = make_design_page(people.team, people.member, body="old")
    client = client_for(people.member)
    empty = client.post(url("page_edit", page), edit_post(page, "typed", title=" "))
    assert "Give the page a title." in empty.text and "typed" in empty.text
    big = client.post(url("page_edit", page), edit_post(page, "y" * 1_000_000))
    assert "the limit is 200,000" in big.text
    same = client.post(url("page_edit", page), edit_post(page, "old"))
    assert "Nothing changed since revision #1." in same.text
    forged = client.post(url("page_edit", page), edit_post(page, "new", version="-1"))
    assert forged.status_code == 200
    page.refresh_from_db()
    assert page.body == "old" and page.version == 1


def test_editing_an_approved_page_warns_and_sends_it_back_to_review(people, client_for):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    answer(page, people.senior)
    client = client_for(people.member)
    page.refresh_from_db()
    assert "Saving a change sends it back to review" in client.get(url("page_edit", page)).text
    client.post(url("page_edit", page), edit_post(page, "changed"))
    page.refresh_from_db()
    assert page.status == PageStatus.IN_REVIEW


def test_an_obsolete_page_has_no_edit_form(people, client_for):
    page = make_design_page(people.team, people.member)
    services.design_page_mark_obsolete(page=page, actor=people.member)
    response = client_for(people.member).get(url("page_edit", page), follow=True)
    assert "This page is obsolete" in response.text
    assert url("page_edit", page) not in response.text


# --- history and compare -------------------------------------------------------------------


def test_history_lists_revisions_with_their_diffs(people, client_for):
    page = make_design_page(people.team, people.member, body="alpha\nbeta\n")
    edit(page, people.lead, "alpha\ngamma\n")
    response = client_for(people.observer).get(url("page_history", page))
    assert response.status_code == 200
    assert response.text.count('class="card revision"') == 2
    assert "- beta" in response.text and "+ gamma" in response.text
    assert "“Started the page.”" in response.text


def test_history_paginates(people, client_for):
    page = make_design_page(people.team, people.member, body="0")
    for i in range(1, 30):
        edit(page, people.member, str(i))
    client = client_for(people.member)
    assert client.get(url("page_history", page)).text.count('class="card revision"') == 25
    second = client.get(url("page_history", page), {"page": "2"})
    assert second.text.count('class="card revision"') == 5 and "Page 2 of 2" in second.text
    assert client.get(url("page_history", page), {"page": "x"}).status_code == 200


def test_compare_shows_two_revisions_side_by_side(people, client_for):
    page = make_design_page(people.team, people.member, body="one\n")
    edit(page, people.member, "two\n")
    edit(page, people.member, "three\n")
    response = client_for(people.observer).get(url("page_compare", page), {"a": 3, "b": 1})
    assert response.status_code == 200
    assert "#1 ⟷ #3" in response.text
    assert re.search(r'<tr class="replace"><td>one</td><td>three</td></tr>', response.text)


def test_compare_with_bad_or_foreign_revisions(people, client_for):
    page = make_design_page(people.team, people.member)
    other = make_design_page(people.team, people.member)
    edit(other, people.member, "another page's second revision")
    client = client_for(people.member)
    for params in ({}, {"a": "1"}, {"a": "x", "b": "1"}, {"a": "-1", "b": "1"}):
        response = client.get(url("page_compare", page), params, follow=True)
        assert "Pick two revisions to compare" in response.text
    assert client.get(url("page_compare", page), {"a": 1, "b": 2}).status_code == 404


# --- status --------------------------------------------------------------------------------


def test_the_driver_marks_the_page_obsolete(people, client_for):
    page = make_design_page(people.team, people.member)
    response = client_for(people.member).post(
        url("page_status", page), {"status": "obsolete"}, follow=True
    )
    assert "Marked obsolete" in response.text
    assert "No longer current" in response.text
    page.refresh_from_db()
    assert page.status == PageStatus.OBSOLETE


@pytest.mark.parametrize("forged", ["approved", "in_review", "draft", ""])
def test_nothing_but_obsolete_is_set_through_the_status_url(people, client_for, forged):
    page = make_design_page(people.team, people.member)
    response = client_for(people.lead).post(
        url("page_status", page), {"status": forged}, follow=True
    )
    assert response.status_code == 200
    assert "only marked obsolete by hand" in response.text or "Say which status" in response.text
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT


def test_others_cannot_retire_a_page(people, client_for):
    page = make_design_page(people.team, people.member)
    data = {"status": "obsolete"}
    assert client_for(people.senior).post(url("page_status", page), data).status_code == 403
    assert client_for(people.observer).post(url("page_status", page), data).status_code == 403
    assert client_for(people.outsider).post(url("page_status", page), data).status_code == 404
    assert client_for(people.member).get(url("page_status", page)).status_code == 405
    page.refresh_from_db()
    assert page.status == PageStatus.DRAFT
