"""Rules that a forged request, a hostile text or a crowd of voters must not break."""

import datetime as dt
import threading

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from proposals import tasks
from proposals.models import Comment, Objection, Proposal, Vote
from proposals.services import proposals as services
from tests.factories import add_member
from tests.proposals.factories import decide, make_proposal
from tests.test_markdown import assert_harmless

HOSTILE = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> [x](javascript:alert(3)) "
    '<a href="javascript:alert(4)" onclick="alert(5)">y</a>'
)


def test_hostile_markdown_is_neutralised_in_every_rendered_field(people, client_for):
    proposal = make_proposal(
        people.team,
        people.member,
        approver=people.lead,
        open_it=True,
        background=HOSTILE,
        relevant_data=HOSTILE,
    )
    proposal.options.update(description=HOSTILE, pros=HOSTILE, cons=HOSTILE, cost=HOSTILE)
    services.comment_add(proposal=proposal, author=people.senior, body=HOSTILE)
    services.proposal_decide(
        proposal=proposal,
        actor=people.lead,
        option_id=proposal.options.first().pk,
        rationale=HOSTILE,
        block_answers={},
        action_items=[services.ActionItemInput(text=HOSTILE, owner=people.member)],
    )
    page = client_for(people.observer).get(proposal.get_absolute_url()).text
    main = page.split("<main", 1)[1]
    assert_harmless(main)
    assert "<script>alert(1)" not in main


def test_a_forged_vote_on_a_draft_is_refused(people, client_for):
    proposal = make_proposal(people.team, people.member)
    response = client_for(people.senior).post(
        reverse("proposals:vote", args=["pay", proposal.number]),
        {"option": proposal.options.first().pk},
    )
    assert response.status_code == 200
    assert "Voting is not open" in response.text
    assert not Vote.objects.exists()


def test_a_forged_status_change_by_someone_else_is_refused(people, client_for):
    proposal = make_proposal(people.team, people.member)
    url = reverse("proposals:status", args=["pay", proposal.number])
    for user in (people.lead, people.senior):
        assert client_for(user).post(url, {"action": "open"}).status_code == 403
    assert Proposal.objects.get().status == "draft"


def test_a_proposal_number_of_another_team_is_404(people, client_for):
    from tests.factories import UserFactory, make_team

    stranger = UserFactory()
    theirs = make_proposal(make_team(name="S", slug="s", lead=stranger), stranger, open_it=True)
    client = client_for(people.lead)
    assert client.get(reverse("proposals:detail", args=["pay", theirs.number])).status_code == 404
    response = client.post(
        reverse("proposals:vote", args=["s", theirs.number]),
        {"option": theirs.options.first().pk},
    )
    assert response.status_code == 404
    assert not Vote.objects.exists()


def test_beat_closes_voting_at_the_due_date_with_nobody_on_the_page(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=1)
    with time_machine.travel(timezone.now() + dt.timedelta(days=1, minutes=1)):
        assert tasks.close_due_proposals() == 1
    proposal.refresh_from_db()
    assert proposal.voting_closed_at is not None
    assert proposal.events.filter(kind="closed", detail="at the due date").exists()


def test_the_driver_is_reminded_when_a_decision_is_due_for_review(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(proposal)
    Proposal.objects.filter(pk=proposal.pk).update(review_on=timezone.localdate())
    assert tasks.remind_decision_reviews() == 1
    tasks.remind_decision_review(proposal.pk)  # delivered twice
    assert [m.to for m in mail.outbox] == [[people.member.email]]
    assert tasks.remind_decision_reviews() == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_members_vote_at_once_with_duplicates_and_get_twenty_votes(people):
    voters = [add_member(people.team) for _ in range(20)]
    proposal = make_proposal(people.team, people.member, open_it=True, options=3)
    options = list(proposal.options.values_list("pk", flat=True))
    barrier = threading.Barrier(40)
    errors = []

    def cast(voter, i):
        try:
            barrier.wait(timeout=20)
            # Each cast prefers one option and objects to the next: the duplicate cast
            # replaces both, never leaving a mix of the two.
            services.proposal_vote_cast(
                proposal=proposal,
                voter=voter,
                option_id=options[i % 3],
                objections=[
                    services.ObjectionInput(
                        options[(i + 1) % 3], "block" if i % 2 else "disagree", f"Cast {i}"
                    )
                ],
            )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=cast, args=(voter, i)) for i, voter in enumerate(voters)]
    threads += [
        threading.Thread(target=cast, args=(voter, i + 1)) for i, voter in enumerate(voters)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert Vote.objects.filter(proposal=proposal).count() == 20
    assert Vote.objects.filter(proposal=proposal).values("voter").distinct().count() == 20
    assert Objection.objects.filter(proposal=proposal).count() == 20
    for vote in Vote.objects.filter(proposal=proposal):
        objection = Objection.objects.get(proposal=proposal, voter=vote.voter_id)
        cast = options.index(vote.option_id)
        assert objection.option_id == options[(cast + 1) % 3]
        # The objection comes from the same cast as the preference that won.
        number = int(objection.reason.removeprefix("Cast "))
        assert number % 3 == cast
        assert objection.kind == ("block" if number % 2 else "disagree")
    assert not Comment.objects.exists()
