"""What a vote means: a preference (or none), and objections apart that never count as
support; the approver decides and does not vote; each block needs its own answer."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from practices.teams.services import member_roles_hand_over
from proposals.models import Objection, Vote
from proposals.selectors import proposals as selectors
from proposals.services import proposals as services
from tests.factories import add_member
from tests.proposals.factories import decide, make_proposal

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, proposal=None, slug="pay"):
    args = [slug] if proposal is None else [slug, proposal.number]
    return reverse(f"proposals:{name}", args=args)


def options_of(proposal):
    return list(proposal.options.order_by("position"))


def cast(proposal, voter, prefer=None, *objections):
    return services.proposal_vote_cast(
        proposal=proposal,
        voter=voter,
        option_id=prefer.pk if prefer else None,
        objections=[services.ObjectionInput(o.pk, kind, why) for o, kind, why in objections],
    )


def tally(proposal, user):
    page = selectors.proposal_page(proposal=proposal, user=user)
    return {row.option.title: row for row in page.tally}, page


@pytest.mark.parametrize("kind", ["disagree", "block"])
def test_an_objection_never_changes_an_options_support(people, kind):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, b = options_of(proposal)
    cast(proposal, people.senior, a)
    before, _ = tally(proposal, people.senior)
    # Another person prefers B and objects to A: A's support stays 1.
    voter = add_member(people.team)
    cast(proposal, voter, b, (a, kind, "It adds an on-call burden."))
    after, page = tally(proposal, people.senior)
    assert before["Option A"].support == after["Option A"].support == 1
    assert after["Option B"].support == 1
    assert [(o.kind, o.reason) for o in after["Option A"].objections] == [
        (kind, "It adds an on-call burden.")
    ]
    # An objection with no preference at all adds to nobody's support.
    third = add_member(people.team)
    cast(proposal, third, None, (b, kind, "Too slow."))
    final, page = tally(proposal, people.senior)
    assert (final["Option A"].support, final["Option B"].support) == (1, 1)
    assert page.vote_count == 3 and page.no_preference == 1


def test_one_person_prefers_one_option_and_blocks_another(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, b = options_of(proposal)
    cast(proposal, people.senior, a, (b, "block", "No backups for it."))
    rows, _ = tally(proposal, people.member)
    assert rows["Option A"].support == 1 and rows["Option A"].objections == []
    assert rows["Option B"].support == 0
    assert [(o.voter_id, o.kind) for o in rows["Option B"].blocks] == [(people.senior.pk, "block")]
    # The page lists the block under B, in red, with its reason inline.
    client_for(people.member).post(url("vote", proposal), {"option": str(a.pk)})
    page = client_for(people.member).get(url("detail", proposal)).text
    b_row = page.split("Option B</span>", 1)[1].split("</li>\n          \n", 1)[0]
    assert 'class="objection-block"' in b_row and "No backups for it." in b_row
    assert "blocks" in b_row


def test_blocks_are_listed_before_disagreements(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, b = options_of(proposal)
    cast(proposal, people.senior, b, (a, "disagree", "Costly."))
    cast(proposal, people.member, b, (a, "block", "Unsafe."))
    rows, _ = tally(proposal, people.lead)
    assert [o.kind for o in rows["Option A"].objections] == ["block", "disagree"]


def test_casting_again_replaces_the_preference_and_objections_whole(people):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, options=3
    )
    a, b, c = options_of(proposal)
    cast(proposal, people.senior, a, (b, "block", "No."), (c, "disagree", "Meh."))
    cast(proposal, people.senior, c, (a, "disagree", "Changed my mind."))
    vote = Vote.objects.get(proposal=proposal, voter=people.senior)
    assert vote.option_id == c.pk
    assert list(
        Objection.objects.filter(proposal=proposal).values_list("option_id", "kind", "reason")
    ) == [(a.pk, "disagree", "Changed my mind.")]
    assert list(proposal.events.values_list("kind", "detail"))[-2:] == [
        ("voted", "(prefers Option A; blocks Option B; disagrees with Option C)"),
        ("vote_changed", "(prefers Option C; disagrees with Option A)"),
    ]


def test_preferring_and_objecting_to_the_same_option_is_refused(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, _b = options_of(proposal)
    with pytest.raises(ValidationError, match="cannot prefer an option and object to it"):
        cast(proposal, people.senior, a, (a, "block", "Contradiction."))
    post = {"option": str(a.pk), f"objection_{a.pk}": "block", f"reason_{a.pk}": "x"}
    response = client_for(people.senior).post(url("vote", proposal), post, **HTMX)
    assert "You prefer this option: you cannot object to it too." in response.text
    assert not Vote.objects.exists() and not Objection.objects.exists()


def test_a_vote_with_objections_works_without_javascript(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, b = options_of(proposal)
    client = client_for(people.senior)
    post = {"option": "none", f"objection_{a.pk}": "disagree", f"reason_{a.pk}": "Slow."}
    response = client.post(url("vote", proposal), post)
    assert response.status_code == 302
    assert Vote.objects.get().option_id is None
    assert Objection.objects.get().kind == "disagree"
    # Refused input comes back on the whole page, with what was typed kept.
    post = {"option": str(b.pk), f"objection_{a.pk}": "block", f"reason_{a.pk}": ""}
    refused = client.post(url("vote", proposal), post)
    assert refused.status_code == 200 and "<html" in refused.text
    assert "a reason is required" in refused.text
    assert Objection.objects.get().kind == "disagree"  # the earlier vote stands
    # The form to change a vote shows the vote cast.
    page = client.get(url("detail", proposal)).text
    assert 'value="none" required id="id_option_2" checked' in page
    assert '<option value="disagree" selected>' in page and "\nSlow.</textarea>" in page


def test_the_database_refuses_an_objection_without_a_reason_or_a_second_one(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, _b = options_of(proposal)
    row = {"proposal": proposal, "voter": people.senior, "option": a, "kind": "block"}
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(**row, reason="")
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(**{**row, "kind": "veto"}, reason="x")
    Objection.objects.create(**row, reason="x")
    with pytest.raises(IntegrityError), transaction.atomic():
        Objection.objects.create(**{**row, "kind": "disagree"}, reason="y")


def test_the_approver_decides_and_does_not_vote(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, _b = options_of(proposal)
    with pytest.raises(PermissionDenied, match="approver decides"):
        cast(proposal, people.lead, a)
    client = client_for(people.lead)
    assert client.post(url("vote", proposal), {"option": str(a.pk)}).status_code == 403
    assert not Vote.objects.exists()
    page = client.get(url("detail", proposal)).text
    assert 'class="vote-form"' not in page
    turnout = page.split('class="muted small turnout">', 1)[1].split("</p>", 1)[0]
    assert turnout.startswith("0 of 2 voted.")  # the senior and the member
    assert people.lead.get_full_name() not in turnout
    # Nothing waits for the approver's vote.
    mine = client.get(url("list") + "?view=needs-my-vote").text
    assert "Nothing waits for your vote" in mine
    assert proposal.title in client_for(people.member).get(url("list") + "?view=needs-my-vote").text


def test_the_driver_and_contributors_vote_like_members(people):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, contributors=[people.senior]
    )
    a, _b = options_of(proposal)
    cast(proposal, people.member, a)
    cast(proposal, people.senior, a)
    assert Vote.objects.count() == 2


def test_each_block_needs_its_own_answer(people, client_for):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, options=3
    )
    a, b, c = options_of(proposal)
    cast(proposal, people.senior, a, (b, "block", "No backups."), (c, "block", "No owner."))
    answers = {f"{people.senior.pk}:{b.pk}": "Backups first."}
    with pytest.raises(ValidationError, match="on “Option C”"):
        services.proposal_decide(
            proposal=proposal,
            actor=people.lead,
            option_id=a.pk,
            rationale="x",
            block_answers=answers,
        )
    # The decide page asks for both, and keeps what was written when one is missing.
    client = client_for(people.lead)
    page = client.get(url("decide", proposal)).text
    assert "block of “Option B”" in page and "block of “Option C”" in page
    post = {
        "outcome": str(a.pk),
        "rationale": "We go with A.",
        f"block_{people.senior.pk}_{b.pk}": "Backups first.",
    }
    refused = client.post(url("decide", proposal), post)
    assert refused.status_code == 200 and "Backups first." in refused.text
    post[f"block_{people.senior.pk}_{c.pk}"] = "The platform team owns it."
    assert client.post(url("decide", proposal), post).status_code == 302
    proposal.refresh_from_db()
    assert proposal.block_answers == {
        f"{people.senior.pk}:{b.pk}": "Backups first.",
        f"{people.senior.pk}:{c.pk}": "The platform team owns it.",
    }
    detail = client.get(url("detail", proposal)).text
    assert "The platform team owns it." in detail and "Backups first." in detail


def test_the_list_shows_turnout_and_a_red_mark_when_blocked(people, client_for):
    quiet = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    blocked = make_proposal(
        people.team, people.member, approver=people.lead, open_it=True, title="Blocked one"
    )
    a, b = options_of(blocked)
    cast(blocked, people.senior, a, (b, "block", "No."))
    cast(quiet, people.senior, None, (options_of(quiet)[0], "disagree", "Hm."))
    page = client_for(people.observer).get(url("list")).text
    rows = {
        row.split("</a>", 1)[0].rsplit(">", 1)[1]: row for row in page.split('proposal-row"')[1:]
    }
    assert "1 of 2 voted" in rows["Blocked one"] and "blocked-mark" in rows["Blocked one"]
    assert "1 of 2 voted" in rows["Move sessions to Redis"]
    assert "blocked-mark" not in rows["Move sessions to Redis"]  # a disagree is no block


def test_a_member_does_not_see_the_superseded_form(people, client_for):
    old = decide(make_proposal(people.team, people.member, approver=people.lead, open_it=True))
    form = 'id="supersede-title"'
    assert form not in client_for(people.member).get(url("detail", old)).text
    assert form not in client_for(people.observer).get(url("detail", old)).text
    assert form in client_for(people.lead).get(url("detail", old)).text
    # A member who approved a later decision may mark this one superseded: they see it.
    decide(make_proposal(people.team, people.member, approver=people.senior, open_it=True))
    assert form in client_for(people.senior).get(url("detail", old)).text


def _votes_of(proposal, user):
    return (
        Vote.objects.filter(proposal=proposal, voter=user).count(),
        Objection.objects.filter(proposal=proposal, voter=user).count(),
    )


def test_an_approver_handed_the_role_loses_their_own_vote_and_block(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, b = options_of(proposal)
    cast(proposal, people.senior, a, (b, "block", "No one can run it."))
    member_roles_hand_over(
        team=people.team,
        from_user_id=people.lead.pk,
        to_user_id=people.senior.pk,
        actor=people.lead,
    )
    proposal.refresh_from_db()
    assert proposal.approver_id == people.senior.pk
    assert _votes_of(proposal, people.senior) == (0, 0)
    rows, _page = tally(proposal, people.member)
    assert rows["Option A"].support == 0
    assert rows["Option B"].objections == []
    # Nobody asks the new approver to answer their own block.
    assert services.unanswered_blocks(proposal, {}) == []
    assert "their own vote was withdrawn" in proposal.events.latest("pk").detail


def test_a_lead_who_names_a_voter_approver_withdraws_that_vote(people):
    proposal = make_proposal(people.team, people.lead, approver=people.member, open_it=True)
    a, b = options_of(proposal)
    cast(proposal, people.senior, a, (b, "disagree", "Slow."))
    cast(proposal, people.lead, b)
    services.proposal_update(
        proposal=proposal,
        actor=people.lead,
        actor_role="lead",
        title=proposal.title,
        approver=people.senior,
        due_at=proposal.due_at,
        impact=proposal.impact,
        contributors=[],
        informed=[],
        informed_emails=[],
        background="",
        relevant_data="",
        hide_tally=False,
        options=[services.OptionInput(title=o.title) for o in proposal.options.all()],
    )
    assert _votes_of(proposal, people.senior) == (0, 0)
    assert _votes_of(proposal, people.lead) == (1, 0), "other votes stay"
    assert "their own vote was withdrawn" in proposal.events.latest("pk").detail
