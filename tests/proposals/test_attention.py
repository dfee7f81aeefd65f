"""What waits for a person in proposals (the coming inbox's sources): votes due,
decisions to make, reviews waiting; each read in one query whatever the numbers."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from practices import registries
from practices.models import Membership, Role
from proposals import attention
from proposals.services import proposals as services
from tests.factories import add_member, make_team
from tests.proposals.factories import decide, make_proposal
from tests.proposals.test_pages_support import answer, edit, make_design_page


def keys(items) -> list[str]:
    return [item.key for item in items]


def test_votes_due_are_the_open_proposals_a_member_has_not_voted_on(people):
    waiting = make_proposal(people.team, people.senior, approver=people.lead, open_it=True)
    voted = make_proposal(people.team, people.senior, approver=people.lead, open_it=True)
    services.proposal_vote_cast(
        proposal=voted, voter=people.member, option_id=voted.options.first().pk
    )
    make_proposal(people.team, people.senior, approver=people.lead)  # a draft
    closed = make_proposal(people.team, people.senior, approver=people.lead, open_it=True)
    services.proposal_close(proposal=closed)

    items = attention.votes_due_list(user=people.member, teams=[people.team])

    assert keys(items) == [f"proposals:vote:{waiting.pk}"]
    assert items[0].url == waiting.get_absolute_url() and items[0].due_at == waiting.due_at
    assert items[0].title == f"{waiting.code} {waiting.title}"
    # The approver decides rather than votes; an observer only reads.
    assert attention.votes_due_list(user=people.lead, teams=[people.team]) == []
    assert attention.votes_due_list(user=people.observer, teams=[people.team]) == []


def test_votes_due_are_read_in_one_query_across_teams(people):
    other = make_team(name="Search", slug="search")
    add_member(other, people.member)
    for team in (people.team, other):
        for _ in range(3):
            make_proposal(team, team.memberships.get(role=Role.LEAD).user, open_it=True)
    with CaptureQueriesContext(connection) as queries:
        items = attention.votes_due_list(user=people.member, teams=[people.team, other])
    assert len(items) == 6 and len(queries) == 1
    assert len(attention.votes_due_list(user=people.member, teams=[other])) == 3


def test_decisions_to_make_are_the_approvers_proposals_whose_voting_closed(people):
    make_proposal(people.team, people.member, approver=people.lead, open_it=True)  # voting
    closed = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_close(proposal=closed)
    decided = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(decided)

    items = attention.decisions_to_make_list(user=people.lead, teams=[people.team])

    assert keys(items) == [f"proposals:decide:{closed.pk}"]
    assert attention.decisions_to_make_list(user=people.member, teams=[people.team]) == []
    # An approver made an observer since keeps the name, not the decision.
    Membership.objects.filter(team=people.team, user=people.lead).update(role=Role.OBSERVER)
    assert attention.decisions_to_make_list(user=people.lead, teams=[people.team]) == []


def test_reviews_waiting_come_back_with_each_new_revision(people):
    page = make_design_page(people.team, people.member, reviewers=[people.senior])

    items = attention.reviews_waiting_list(user=people.senior, teams=[people.team])
    assert keys(items) == [f"proposals:review:{page.pk}"]
    assert items[0].url == page.get_absolute_url()

    answer(page, people.senior)
    assert attention.reviews_waiting_list(user=people.senior, teams=[people.team]) == []
    edit(page, people.member, "A new revision.")
    assert keys(attention.reviews_waiting_list(user=people.senior, teams=[people.team])) == [
        f"proposals:review:{page.pk}"
    ]
    assert attention.reviews_waiting_list(user=people.lead, teams=[people.team]) == []


def test_reviews_waiting_are_read_in_one_query(people):
    for i in range(4):
        make_design_page(people.team, people.member, title=f"Page {i}", reviewers=[people.senior])
    with CaptureQueriesContext(connection) as queries:
        items = attention.reviews_waiting_list(user=people.senior, teams=[people.team])
    assert len(items) == 4 and len(queries) == 1


def test_the_inbox_registry_gathers_all_three(people):
    make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    closed = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_close(proposal=closed)
    make_design_page(people.team, people.member, reviewers=[people.lead])
    items = registries.attention_item_list(user=people.lead, teams=[people.team])
    assert {item.kind for item in items} >= {"decision", "review"}
    items = registries.attention_item_list(user=people.senior, teams=[people.team])
    assert "vote" in {item.kind for item in items}
