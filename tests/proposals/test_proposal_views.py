import datetime as dt
import re
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from practices.models import CharterSection
from proposals.models import Comment, Proposal, Status, Vote
from proposals.services import proposals as services
from tests.charter_posts import retros_post
from tests.factories import add_member
from tests.proposals.factories import decide, make_proposal

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, proposal=None, slug="pay"):
    args = [slug] if proposal is None else [slug, proposal.number]
    return reverse(f"proposals:{name}", args=args)


def create_post(approver, **overrides):
    due = (timezone.now() + dt.timedelta(days=5)).date().isoformat()
    data = {
        "title": "Adopt trunk-based development",
        "impact": "high",
        "approver": str(approver.pk),
        "due_date": due,
        "due_time": "17:00",
        "background": "Long branches hurt.",
        "relevant_data": "",
        "informed_emails": "cto@example.com",
        "options-TOTAL_FORMS": "3",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "2",
        "options-MAX_NUM_FORMS": "12",
        "options-0-title": "Trunk-based",
        "options-0-pros": "Small changes",
        "options-0-cost": "1 week",
        "options-1-title": "Keep GitFlow",
        "options-1-cons": "Merge pain",
    }
    data.update(overrides)
    return data


def test_a_member_writes_a_draft_with_options(people, client_for):
    response = client_for(people.member).post(url("create"), create_post(people.lead))
    proposal = Proposal.objects.get()
    assert response["Location"] == proposal.get_absolute_url()
    assert (proposal.driver, proposal.approver, proposal.status) == (
        people.member,
        people.lead,
        Status.DRAFT,
    )
    assert [o.title for o in proposal.options.all()] == ["Trunk-based", "Keep GitFlow"]
    assert proposal.informed_emails == ["cto@example.com"]
    assert proposal.due_at.astimezone(people.team.tzinfo).hour == 17


def test_the_option_inputs_are_labelled_by_letter(people, client_for):
    page = client_for(people.member).get(url("create")).text
    assert '<label for="id_options-0-title">Option A</label>' in page
    assert '<label for="id_options-1-title">Option B</label>' in page
    assert '<label for="id_options-2-title">Option C</label>' in page


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"title": ""}, "This field is required"),
        ({"options-1-title": "", "options-1-cons": ""}, "at least two options"),
        ({"options-1-title": ""}, "Give this option a title"),
        ({"options-1-title": "trunk-BASED"}, "same title"),
        ({"options-2-pros": "orphan"}, "Give this option a title"),
        ({"due_date": "soon"}, "Enter a valid date"),
        ({"informed_emails": "cto@example.com, not-an-email"}, "is not an email address"),
        ({"background": "x" * 1_000_001}, "at most 20000 characters"),
        ({"options-TOTAL_FORMS": "40"}, "at most 12"),
    ],
)
def test_bad_proposal_input_is_refused_and_kept(people, client_for, overrides, message):
    response = client_for(people.member).post(url("create"), create_post(people.lead, **overrides))
    assert response.status_code == 200
    assert message in response.text
    assert not Proposal.objects.exists()


def test_an_approver_from_another_team_is_refused(people, client_for):
    response = client_for(people.member).post(url("create"), create_post(people.outsider))
    assert "Select a valid choice" in response.text
    assert not Proposal.objects.exists()


def test_observers_cannot_start_a_draft(people, client_for):
    assert client_for(people.observer).get(url("create")).status_code == 403
    response = client_for(people.observer).post(url("create"), create_post(people.lead))
    assert response.status_code == 403
    assert not Proposal.objects.exists()


def test_the_driver_edits_and_keeps_voted_options(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a = proposal.options.get(position=0)
    services.proposal_vote_cast(proposal=proposal, voter=people.senior, option_id=a.pk)
    post = create_post(
        people.lead, **{"options-0-title": "Option B", "options-1-title": "Option C"}
    )
    response = client_for(people.member).post(url("edit", proposal), post)
    assert "People voted on “Option A”" in response.text
    assert client_for(people.senior).post(url("edit", proposal), post).status_code == 403


def test_driver_opens_and_member_votes_in_place(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead)
    client_for(people.member).post(url("status", proposal), {"action": "open"})
    option = proposal.options.get(position=0)
    response = client_for(people.senior).post(url("vote", proposal), {"option": option.pk}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="voting"' in response.text
    assert "Your vote is recorded" in response.text
    assert Vote.objects.get().voter == people.senior
    # The timeline comes along out of band, with the vote in it, in the team's time zone.
    timeline = response.text.split('id="timeline"', 1)[1]
    assert timeline.startswith(' class="card timeline"') and 'hx-swap-oob="true"' in timeline
    vote = proposal.events.latest("pk")
    local = timezone.localtime(vote.created_at, zoneinfo.ZoneInfo(people.team.time_zone))
    assert f"{local:%H:%M}" in timeline and "voted" in timeline


def test_a_block_without_a_reason_is_refused_beside_the_field(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    a, b = proposal.options.order_by("position")
    post = {"option": a.pk, f"objection_{b.pk}": "block", f"reason_{b.pk}": ""}
    response = client_for(people.senior).post(url("vote", proposal), post, **HTMX)
    assert "a reason is required" in response.text
    # Beside the reason box of the option blocked, and what was picked is kept.
    error = re.search(rf'id="id_reason_{b.pk}_error"[^>]*>(.*?)</ul>', response.text, re.S)
    assert error and "a reason is required" in error.group(1)
    assert '<option value="block" selected>' in response.text
    assert not Vote.objects.exists()


@pytest.mark.parametrize(
    "forged",
    [{"option": "999999"}, {"option": "abc"}, {"option": ""}, {"objection_OPTION": "veto"}],
)
def test_forged_votes_are_refused(people, client_for, forged):
    proposal = make_proposal(people.team, people.member, open_it=True)
    first = proposal.options.first().pk
    forged = {key.replace("OPTION", str(first)): value for key, value in forged.items()}
    post = {"option": first, f"reason_{first}": "why", **forged}
    client_for(people.senior).post(url("vote", proposal), post, **HTMX)
    assert not Vote.objects.exists()


def test_observers_cannot_vote_or_comment(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    client = client_for(people.observer)
    post = {"option": proposal.options.first().pk}
    assert client.post(url("vote", proposal), post).status_code == 403
    assert client.post(url("comment", proposal), {"body": "hi"}).status_code == 403
    assert not Vote.objects.exists() and not Comment.objects.exists()


def test_hidden_tally_shows_after_your_own_vote(people, client_for):
    approver = add_member(people.team)  # decides, so does not count among the voters
    proposal = make_proposal(
        people.team, people.member, approver=approver, open_it=True, hide_tally=True
    )
    option, other = proposal.options.order_by("position")
    services.proposal_vote_cast(proposal=proposal, voter=people.lead, option_id=option.pk)
    services.proposal_vote_cast(
        proposal=proposal, voter=people.member, option_id=None,
        objections=[services.ObjectionInput(
            option.pk, "block", "<script>alert(1)</script> no rollback plan"
        )],
    )  # fmt: skip
    client = client_for(people.senior)
    before = client.get(url("detail", proposal)).text
    assert "The tally shows once you have voted" in before
    assert "Who voted what" not in before
    # Asking for the votes directly does not get round the rule.
    for headers in ({}, HTMX):
        hidden = client.get(url("votes", proposal), **headers)
        assert hidden.status_code == 200
        assert "votes show once you have voted" in hidden.text
        assert "no rollback plan" not in hidden.text
    after = client.post(url("vote", proposal), {"option": other.pk}, **HTMX)
    assert "3 of 3 voted" in after.text and "Who voted what" in after.text
    # The block shows with its reason in the tally, escaped.
    assert "&lt;script&gt;alert(1)&lt;/script&gt; no rollback plan" in after.text
    votes = client.get(url("votes", proposal), **HTMX)
    assert "<html" not in votes.text
    assert votes.text.count("<li>") == 3
    assert "&lt;script&gt;alert(1)&lt;/script&gt; no rollback plan" in votes.text
    assert "<script>alert" not in votes.text


def test_comments_and_replies_render_sanitised_markdown(people, client_for):
    proposal = make_proposal(people.team, people.member, open_it=True)
    client = client_for(people.senior)
    response = client.post(
        url("comment", proposal), {"body": "**Why** <script>alert(1)</script>"}, **HTMX
    )
    assert "<strong>Why</strong>" in response.text
    assert "<script>alert(1)" not in response.text
    parent = Comment.objects.get()
    client.post(url("comment", proposal), {"body": "Because.", "parent": parent.pk}, **HTMX)
    assert Comment.objects.get(parent=parent).body == "Because."


def test_approver_answers_the_block_and_decides(
    people, client_for, django_capture_on_commit_callbacks
):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, informed=[people.observer]
    )
    a = proposal.options.get(position=0)
    b = proposal.options.get(position=1)
    services.proposal_vote_cast(
        proposal=proposal,
        voter=people.senior,
        option_id=b.pk,
        objections=[services.ObjectionInput(a.pk, "block", "No backups")],
    )
    client = client_for(people.lead)
    page = client.get(url("decide", proposal))
    assert "Answer every block before deciding" in page.text
    post = {
        "outcome": str(a.pk),
        "rationale": "Backups first.",
        "item0-text": "Add backups",
        "item0-owner": str(people.senior.pk),
    }
    refused = client.post(url("decide", proposal), post)
    assert "This field is required" in refused.text
    post[f"block_{people.senior.pk}_{a.pk}"] = "Nightly backups before the switch."
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(url("decide", proposal), post)
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Status.DECIDED
    assert len(callbacks) >= 1  # the informed email is queued
    detail = client.get(url("detail", proposal)).text
    assert "Nightly backups before the switch." in detail
    assert "Add backups" in detail


def test_only_the_approver_opens_the_decide_page(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    assert client_for(people.member).get(url("decide", proposal)).status_code == 403
    assert client_for(people.outsider).get(url("decide", proposal)).status_code == 404


def test_list_filters_search_and_needs_my_vote(people, client_for):
    voted = make_proposal(people.team, people.member, open_it=True, title="Kafka for events")
    make_proposal(people.team, people.member, open_it=True, title="Postgres upgrade")
    make_proposal(people.team, people.member, title="Draft about tests")
    services.proposal_vote_cast(
        proposal=voted, voter=people.senior, option_id=voted.options.first().pk
    )
    client = client_for(people.senior)
    assert "Kafka" in client.get(url("list"), {"q": "kafka"}).text
    assert "Postgres" not in client.get(url("list"), {"q": "kafka"}).text
    drafts = client.get(url("list"), {"status": "draft"}).text
    assert "Draft about tests" in drafts and "Kafka" not in drafts
    mine = client.get(url("list"), {"view": "needs-my-vote"}).text
    assert "Postgres upgrade" in mine and "Kafka" not in mine
    assert client.get(url("list"), {"status": "nonsense", "page": "x"}).status_code == 200


def test_the_list_pager_keeps_the_search_and_the_filter(people, client_for):
    for i in range(21):  # 20 a page
        make_proposal(people.team, people.member, title=f"Redis step {i}")
    make_proposal(people.team, people.member, title="Unrelated")
    client = client_for(people.senior)
    first = client.get(url("list"), {"q": "Redis", "status": "draft"}).text
    assert "Page 1 of 2" in first
    assert '<a href="?q=Redis&amp;status=draft&amp;page=2">Older →</a>' in first
    second = client.get(url("list"), {"q": "Redis", "status": "draft", "page": "2"}).text
    assert '<a href="?q=Redis&amp;status=draft&amp;page=1">← Newer</a>' in second
    assert "Redis step 0" in second and "Unrelated" not in second


def test_decision_log_lists_decided_newest_first(people, client_for):
    first = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, title="First"
    )
    second = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, title="Second"
    )
    decide(first)
    decide(second)
    text = client_for(people.observer).get(url("decision_log")).text
    assert text.index("Second") < text.index("First")


def test_lead_proposes_a_charter_change_from_the_section_form(people, client_for):
    client = client_for(people.lead)
    response = client.post(
        reverse("proposals:charter_propose", args=["pay", "retros"]), retros_post(every_weeks=4)
    )
    proposal = Proposal.objects.get()
    assert response["Location"] == url("edit", proposal)
    assert proposal.charter_section_key == "retros"
    assert CharterSection.objects.get(team=people.team, key="retros").version == 0
    assert (
        client_for(people.member)
        .post(reverse("proposals:charter_propose", args=["pay", "retros"]), retros_post())
        .status_code
        == 403
    )


def test_propose_this_change_from_htmx_redirects_the_whole_page(people, client_for):
    client = client_for(people.lead)
    form = client.get(reverse("practices:charter_section_edit", args=["pay", "retros"]), **HTMX)
    assert reverse("proposals:charter_propose", args=["pay", "retros"]) in form.text
    response = client.post(
        reverse("proposals:charter_propose", args=["pay", "retros"]),
        retros_post(every_weeks=4),
        **HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"] == url("edit", Proposal.objects.get())


def test_an_invalid_change_cannot_be_proposed(people, client_for):
    response = client_for(people.lead).post(
        reverse("proposals:charter_propose", args=["pay", "retros"]), retros_post(every_weeks=9)
    )
    assert response.status_code == 200
    assert "from 1 to 8" in response.text
    assert not Proposal.objects.exists()
