import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from practices.models import CharterSection
from proposals import emails, tasks
from proposals.models import Event, Objection, Proposal, Status, Vote
from proposals.services import proposals as services
from tests.factories import UserFactory, make_team
from tests.proposals.factories import decide, make_proposal


def option_ids(proposal):
    return list(proposal.options.order_by("position").values_list("pk", flat=True))


def test_proposals_are_numbered_per_team(people):
    first = make_proposal(people.team, people.member)
    second = make_proposal(people.team, people.member)
    stranger = UserFactory()
    other = make_proposal(make_team(name="S", slug="s", lead=stranger), stranger)
    assert (first.number, second.number, other.number) == (1, 2, 1)
    assert second.code == "DACI-2"


def test_a_proposal_needs_two_options(people):
    with pytest.raises(ValidationError, match="at least two options"):
        make_proposal(people.team, people.member, options=1)


def test_the_approver_must_be_a_voting_member(people):
    with pytest.raises(ValidationError):
        make_proposal(people.team, people.member, approver=people.observer)
    with pytest.raises(ValidationError):
        make_proposal(people.team, people.member, approver=people.outsider)


def test_only_the_driver_opens_and_nobody_votes_on_a_draft(people):
    proposal = make_proposal(people.team, people.member)
    with pytest.raises(ValidationError, match="Voting is not open"):
        services.proposal_vote_cast(
            proposal=proposal, voter=people.lead, option_id=option_ids(proposal)[0]
        )
    with pytest.raises(PermissionDenied):
        services.proposal_open(proposal=proposal, actor=people.lead)
    services.proposal_open(proposal=proposal, actor=people.member)
    assert Proposal.objects.get(pk=proposal.pk).status == Status.OPEN


def test_a_vote_can_change_until_close_and_the_change_is_on_the_timeline(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    a, b = option_ids(proposal)
    services.proposal_vote_cast(proposal=proposal, voter=people.lead, option_id=a)
    services.proposal_vote_cast(
        proposal=proposal,
        voter=people.lead,
        option_id=None,
        objections=[services.ObjectionInput(b, "disagree", "too slow")],
    )
    vote = Vote.objects.get(proposal=proposal, voter=people.lead)
    assert vote.option_id is None
    objection = Objection.objects.get(proposal=proposal, voter=people.lead)
    assert (objection.option_id, objection.kind, objection.reason) == (b, "disagree", "too slow")
    kinds = list(proposal.events.values_list("kind", flat=True))
    assert kinds == ["created", "opened", "voted", "vote_changed"]
    services.proposal_close_early(proposal=proposal, actor=people.member)
    with pytest.raises(ValidationError):
        services.proposal_vote_cast(proposal=proposal, voter=people.lead, option_id=a)


@pytest.mark.parametrize("kind", ["disagree", "block"])
def test_objecting_needs_a_reason(people, kind):
    proposal = make_proposal(people.team, people.member, open_it=True)
    a, b = option_ids(proposal)
    with pytest.raises(ValidationError, match="needs a reason"):
        services.proposal_vote_cast(
            proposal=proposal,
            voter=people.lead,
            option_id=a,
            objections=[services.ObjectionInput(b, kind, "   ")],
        )
    assert not Vote.objects.exists() and not Objection.objects.exists()


def test_observers_and_outsiders_cannot_vote(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    for user in (people.observer, people.outsider):
        with pytest.raises(PermissionDenied):
            services.proposal_vote_cast(
                proposal=proposal, voter=user, option_id=option_ids(proposal)[0]
            )
    assert not Vote.objects.exists()


def test_a_vote_for_another_proposals_option_is_refused(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    other = make_proposal(people.team, people.member, open_it=True)
    with pytest.raises(ValidationError, match="Pick one of this proposal's options"):
        services.proposal_vote_cast(
            proposal=proposal, voter=people.lead, option_id=option_ids(other)[0]
        )


def test_closing_at_the_due_date_records_who_could_and_who_did_vote(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=1)
    services.proposal_vote_cast(
        proposal=proposal, voter=people.senior, option_id=option_ids(proposal)[0]
    )
    assert services.proposals_close_due() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert services.proposals_close_due() == 1
        assert services.proposals_close_due() == 0  # twice is harmless
    proposal.refresh_from_db()
    assert proposal.voting_closed_at is not None
    # The approver (the lead here) decides rather than votes.
    assert sorted(proposal.close_record["eligible"]) == sorted([people.senior.pk, people.member.pk])
    assert proposal.close_record["voted"] == [people.senior.pk]


def test_the_approver_is_asked_to_decide_once(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_close_early(proposal=proposal, actor=people.member)
    tasks.notify_approver_to_decide(proposal.pk)
    tasks.notify_approver_to_decide(proposal.pk)
    assert [m.to for m in mail.outbox] == [[people.lead.email]]
    assert "voting closed" in mail.outbox[0].subject


def test_an_approver_who_already_decided_is_not_asked_to_decide(
    people, django_capture_on_commit_callbacks
):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        decide(proposal)
    mail.outbox.clear()
    tasks.notify_approver_to_decide(proposal.pk)
    assert not [m for m in mail.outbox if "voting closed" in m.subject]
    assert queued, "deciding queues its emails on commit"


def test_reopen_needs_a_future_date_and_clears_the_close(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    services.proposal_close_early(proposal=proposal, actor=people.member)
    with pytest.raises(ValidationError):
        services.proposal_reopen(
            proposal=proposal, actor=people.member, due_at=timezone.now() - dt.timedelta(hours=1)
        )
    services.proposal_reopen(
        proposal=proposal, actor=people.member, due_at=timezone.now() + dt.timedelta(days=3)
    )
    proposal.refresh_from_db()
    assert proposal.is_voting


def test_only_the_approver_decides_and_blocks_must_be_answered(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    a, _ = option_ids(proposal)
    services.proposal_vote_cast(
        proposal=proposal,
        voter=people.senior,
        option_id=None,
        objections=[services.ObjectionInput(a, "block", "No backups")],
    )
    with pytest.raises(PermissionDenied):
        services.proposal_decide(
            proposal=proposal, actor=people.member, option_id=a, rationale="x", block_answers={}
        )
    with pytest.raises(ValidationError, match="Answer every block"):
        services.proposal_decide(
            proposal=proposal, actor=people.lead, option_id=a, rationale="x", block_answers={}
        )
    services.proposal_decide(
        proposal=proposal,
        actor=people.lead,
        option_id=a,
        rationale="Backups first.",
        block_answers={f"{people.senior.pk}:{a}": "We add nightly backups before the switch."},
        action_items=[services.ActionItemInput(text="Set up backups", owner=people.senior)],
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.DECIDED
    assert proposal.chosen_option_id == a
    assert proposal.voting_closed_at is not None  # deciding closes voting
    assert proposal.action_items.get().owner == people.senior
    assert proposal.events.filter(kind=Event.Kind.DECIDED).exists()


def test_informed_people_get_the_outcome_once(people):
    proposal = make_proposal(
        people.team,
        people.member,
        approver=people.lead,
        open_it=True,
        informed=[people.observer],
        informed_emails=["cto@example.com"],
    )
    decide(proposal)
    tasks.notify_outcome(proposal.pk)
    tasks.notify_outcome(proposal.pk)
    # The informed, and the driver too: everyone involved hears the outcome, once.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["cto@example.com", people.observer.email, people.member.email]
    )
    assert "decided" in mail.outbox[0].subject


def test_declining_needs_a_rationale(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    with pytest.raises(ValidationError):
        services.proposal_decide(
            proposal=proposal, actor=people.lead, option_id=None, rationale=" ", block_answers={}
        )
    services.proposal_decide(
        proposal=proposal, actor=people.lead, option_id=None, rationale="Not now.", block_answers={}
    )
    proposal.refresh_from_db()
    assert proposal.status == Status.DECLINED and proposal.chosen_option is None


def test_withdraw_from_draft_or_open_only(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_withdraw(proposal=proposal, actor=people.member)
    with pytest.raises(ValidationError):
        services.proposal_withdraw(proposal=proposal, actor=people.member)


def test_supersede_links_both_ways(people):
    old = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(old)
    new = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    with pytest.raises(ValidationError):
        services.proposal_supersede(old=old, new=new, actor=people.lead, actor_role="lead")
    decide(new)
    with pytest.raises(PermissionDenied):
        services.proposal_supersede(old=old, new=new, actor=people.member, actor_role="member")
    services.proposal_supersede(old=old, new=new, actor=people.lead, actor_role="lead")
    old.refresh_from_db()
    assert old.status == Status.SUPERSEDED and old.superseded_by == new
    assert list(new.supersedes.all()) == [old]


def test_the_approver_of_an_open_proposal_changes_only_by_a_lead(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    common = dict(
        title=proposal.title,
        due_at=proposal.due_at,
        impact="high",
        contributors=[],
        informed=[],
        informed_emails=[],
        background="",
        relevant_data="",
        hide_tally=False,
        options=[services.OptionInput(title=o.title) for o in proposal.options.all()],
    )
    with pytest.raises(ValidationError, match="only a lead"):
        services.proposal_update(
            proposal=proposal,
            actor=people.member,
            actor_role="member",
            approver=people.senior,
            **common,
        )
    assert Proposal.objects.get(pk=proposal.pk).approver == people.lead


def test_a_charter_change_is_applied_when_decided_for(people):
    section = CharterSection.objects.get(team=people.team, key="retros")
    data = {**section.data, "every_weeks": 4}
    proposal = services.charter_change_propose(
        section=section, data=data, author=people.lead, why="Monthly is enough"
    )
    assert "+ Every: 4 weeks" in proposal.options.get(position=0).description
    services.proposal_open(proposal=proposal, actor=people.lead)
    decide(proposal, option_index=0)
    section.refresh_from_db()
    proposal.refresh_from_db()
    assert section.data["every_weeks"] == 4
    assert proposal.charter_revision.section == section
    assert proposal.charter_revision.message.startswith(proposal.code)


def test_a_charter_change_is_not_applied_when_kept(people):
    section = CharterSection.objects.get(team=people.team, key="retros")
    proposal = services.charter_change_propose(
        section=section, data={**section.data, "every_weeks": 4}, author=people.lead
    )
    services.proposal_open(proposal=proposal, actor=people.lead)
    decide(proposal, option_index=1)
    section.refresh_from_db()
    assert section.data["every_weeks"] == 2 and section.version == 0


def test_a_stale_charter_change_is_refused_and_changes_nothing(people):
    from practices.charter import services as charter_services

    section = CharterSection.objects.get(team=people.team, key="retros")
    proposal = services.charter_change_propose(
        section=section, data={**section.data, "every_weeks": 4}, author=people.lead
    )
    services.proposal_open(proposal=proposal, actor=people.lead)
    charter_services.charter_section_update(
        section=section, data={**section.data, "weekday": 0}, expected_version=0, author=people.lead
    )
    with pytest.raises(ValidationError, match="edited after the proposal"):
        decide(proposal)
    proposal.refresh_from_db()
    assert proposal.status == Status.OPEN


def test_mentions_email_the_named_members_once(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    comment = services.comment_add(
        proposal=proposal, author=people.member, body="What do @senior and @nobody think?"
    )
    tasks.notify_mentions(comment.pk)
    tasks.notify_mentions(comment.pk)
    assert [m.to for m in mail.outbox] == [[people.senior.email]]


def test_observers_cannot_comment_and_replies_stay_in_the_proposal(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    other = make_proposal(people.team, people.member, open_it=True)
    with pytest.raises(PermissionDenied):
        services.comment_add(proposal=proposal, author=people.observer, body="hi")
    theirs = services.comment_add(proposal=other, author=people.lead, body="elsewhere")
    with pytest.raises(ValidationError):
        services.comment_add(proposal=proposal, author=people.lead, body="x", parent_id=theirs.pk)


def test_a_late_ask_to_decide_does_not_mark_a_newer_close_as_sent(people, monkeypatch):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    services.proposal_close_early(proposal=proposal, actor=people.member)
    send = emails.approver_asked_to_decide

    def reopened_and_closed_again_while_sending(*, proposal):
        send(proposal=proposal)
        # Meanwhile the driver reopens voting and closes it again: a new request.
        due = timezone.now() + dt.timedelta(days=2)
        services.proposal_reopen(proposal=proposal, actor=people.member, due_at=due)
        services.proposal_close_early(proposal=proposal, actor=people.member)

    monkeypatch.setattr(emails, "approver_asked_to_decide", reopened_and_closed_again_while_sending)
    tasks.notify_approver_to_decide(proposal.pk)
    monkeypatch.undo()
    assert Proposal.objects.get(pk=proposal.pk).close_notified_at is None
    tasks.notify_approver_to_decide(proposal.pk)  # the new close's own task
    assert [m.to for m in mail.outbox] == [[people.lead.email]] * 2
