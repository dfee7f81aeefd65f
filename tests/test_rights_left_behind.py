"""Issue 11 #5: roles are checked when each action happens, not when the person was named.

A member who drives or approves something and is then made an observer, or removed,
does none of it any more; the members page says so and lets a lead hand it over; and a
reminder planned before the change is not sent after it.
"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from practices.models import Membership, Reminder, ReminderState, Role
from practices.reminders.delivery import reminder_send
from practices.reminders.planner import reminder_plan
from practices.teams.services import member_roles_hand_over
from proposals.models import DesignPage, Event, PageEvent, PageStatus, Proposal, Status
from proposals.selectors.access import can_send_action_items_to_jira
from proposals.services import pages as page_services
from proposals.services import proposals as services
from tests.factories import UserFactory, add_member, make_jira_connection
from tests.proposals.factories import decide, make_proposal
from tests.proposals.test_pages_support import make_design_page
from tests.reminders.helpers import make_retro

UTC = dt.UTC


def make_observer(people, user):
    Membership.objects.filter(team=people.team, user=user).update(role=Role.OBSERVER)


def remove(people, user):
    Membership.objects.filter(team=people.team, user=user).delete()


def later():
    return timezone.now() + dt.timedelta(days=3)


# --- proposals: the driver's and the approver's actions -------------------------------------

DRIVER_ACTIONS = {
    "open": lambda p, u: services.proposal_open(proposal=p, actor=u),
    "withdraw": lambda p, u: services.proposal_withdraw(proposal=p, actor=u),
    "close early": lambda p, u: services.proposal_close_early(proposal=p, actor=u),
    "reopen": lambda p, u: services.proposal_reopen(proposal=p, actor=u, due_at=later()),
    "edit": lambda p, u: services.proposal_update(
        proposal=p,
        actor=u,
        actor_role="member",
        title="Taken back",
        approver=p.approver,
        due_at=p.due_at,
        options=[services.OptionInput(title=o.title) for o in p.options.all()],
        impact=p.impact,
        contributors=[],
        informed=[],
        informed_emails=[],
        background="",
        relevant_data="",
        hide_tally=False,
    ),
}
# What state each action starts from: a draft opens, an open one closes, a closed one reopens.
STARTS = {"open": "draft", "withdraw": "open", "close early": "open", "reopen": "closed"}


def proposal_in(people, state):
    proposal = make_proposal(
        people.team, people.member, approver=people.lead, open_it=state != "draft"
    )
    if state == "closed":
        services.proposal_close_early(proposal=proposal, actor=people.member)
    proposal.refresh_from_db()
    return proposal


@pytest.mark.parametrize("leaves", [make_observer, remove], ids=["observer", "removed"])
@pytest.mark.parametrize("action", sorted(DRIVER_ACTIONS))
def test_a_driver_who_is_no_longer_a_member_cannot_act_on_their_proposal(people, action, leaves):
    proposal = proposal_in(people, STARTS.get(action, "draft"))
    before = Proposal.objects.filter(pk=proposal.pk).values().get()
    leaves(people, people.member)
    with pytest.raises(PermissionDenied):
        DRIVER_ACTIONS[action](proposal, people.member)
    assert Proposal.objects.filter(pk=proposal.pk).values().get() == before


@pytest.mark.parametrize("leaves", [make_observer, remove], ids=["observer", "removed"])
def test_an_approver_who_is_no_longer_a_member_cannot_decide(people, leaves):
    proposal = make_proposal(people.team, people.lead, approver=people.member, open_it=True)
    leaves(people, people.member)
    with pytest.raises(PermissionDenied):
        decide(proposal)
    assert Proposal.objects.get(pk=proposal.pk).status == Status.OPEN


def test_an_approver_made_observer_is_refused_the_decide_page_and_not_offered_it(
    people, client_for
):
    proposal = make_proposal(people.team, people.lead, approver=people.member, open_it=True)
    make_observer(people, people.member)
    client = client_for(people.member)
    assert client.get(reverse("proposals:decide", args=["pay", 1])).status_code == 403
    page = client.get(reverse("proposals:detail", args=["pay", proposal.number])).text
    assert reverse("proposals:decide", args=["pay", 1]) not in page


def test_a_driver_made_observer_is_refused_the_edit_page_and_not_offered_its_actions(
    people, client_for
):
    make_proposal(people.team, people.member, approver=people.lead)
    make_observer(people, people.member)
    client = client_for(people.member)
    assert client.get(reverse("proposals:edit", args=["pay", 1])).status_code == 403
    response = client.post(reverse("proposals:status", args=["pay", 1]), {"action": "withdraw"})
    assert response.status_code == 403
    assert Proposal.objects.get().status == Status.DRAFT
    page = client.get(reverse("proposals:detail", args=["pay", 1])).text
    assert reverse("proposals:edit", args=["pay", 1]) not in page


def test_the_new_decisions_approver_made_observer_cannot_supersede(people):
    old = make_proposal(people.team, people.lead, approver=people.lead, open_it=True)
    decide(old)
    new = make_proposal(people.team, people.lead, approver=people.member, open_it=True)
    decide(new)
    make_observer(people, people.member)
    with pytest.raises(PermissionDenied):
        services.proposal_supersede(old=old, new=new, actor=people.member, actor_role="observer")
    assert Proposal.objects.get(pk=old.pk).status == Status.DECIDED


def test_a_driver_made_observer_no_longer_sends_action_items_to_jira(people):
    make_jira_connection(people.team)
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(proposal, action_items=["Write the runbook"])
    membership = Membership.objects.get(team=people.team, user=people.member)
    assert can_send_action_items_to_jira(membership=membership, proposal=proposal)
    make_observer(people, people.member)
    membership.refresh_from_db()
    assert not can_send_action_items_to_jira(membership=membership, proposal=proposal)


# --- design pages: the driver's actions ------------------------------------------------------


@pytest.mark.parametrize("leaves", [make_observer, remove], ids=["observer", "removed"])
def test_a_page_driver_who_is_no_longer_a_member_cannot_edit_ask_or_retire(people, leaves):
    page = make_design_page(people.team, people.member)
    leaves(people, people.member)
    with pytest.raises(PermissionDenied):
        page_services.design_page_update(
            page=page, author=people.member, title="Mine", body="Still mine.", expected_version=1
        )
    with pytest.raises(PermissionDenied):
        page_services.design_page_request_review(
            page=page, actor=people.member, reviewer_ids=[people.senior.pk]
        )
    with pytest.raises(PermissionDenied):
        page_services.design_page_mark_obsolete(page=page, actor=people.member)
    page.refresh_from_db()
    assert (page.version, page.status, page.reviews.count()) == (1, PageStatus.DRAFT, 0)


def test_a_page_driver_made_observer_gets_403_and_no_edit_buttons(people, client_for):
    page = make_design_page(people.team, people.member)
    make_observer(people, people.member)
    client = client_for(people.member)
    args = ["pay", page.number]
    assert client.get(reverse("proposals:page_edit", args=args)).status_code == 403
    response = client.post(
        reverse("proposals:page_request_review", args=args), {"reviewers": [people.senior.pk]}
    )
    assert response.status_code == 403
    response = client.post(reverse("proposals:page_status", args=args), {"status": "obsolete"})
    assert response.status_code == 403
    text = client.get(reverse("proposals:page_detail", args=args)).text
    assert reverse("proposals:page_edit", args=args) not in text
    assert reverse("proposals:page_request_review", args=args) not in text
    assert DesignPage.objects.get().status == PageStatus.DRAFT


# --- the members page: what each person holds, and the hand-over -----------------------------


def members_url():
    return reverse("practices:members", args=["pay"])


def hand_over_url(user):
    return reverse("practices:member_hand_over", args=["pay", user.pk])


@pytest.fixture
def roles(people):
    """The member drives DACI-1 (open), approves DACI-2 (draft) and drives design page 1."""
    drives = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    approves = make_proposal(people.team, people.lead, approver=people.member)
    page = make_design_page(people.team, people.member, reviewers=[people.senior])
    return drives, approves, page


def test_the_members_page_lists_what_each_person_drives_or_approves(people, roles, client_for):
    text = client_for(people.lead).get(members_url()).text
    assert "4 people in Payments" in text
    assert 'Drives <a href="/t/pay/proposals/1/"' in text
    assert 'Approves <a href="/t/pay/proposals/2/"' in text
    assert 'Drives <a href="/t/pay/design/1/"' in text
    # What happens if the lead removes them, said where they would do it.
    assert "Still open: drives DACI-1, approves DACI-2, drives Design #1" in text
    assert "Once removed, nobody can act on these until a lead hands them over" in text
    assert hand_over_url(people.member) in text


def test_a_decided_proposal_or_obsolete_page_is_not_an_open_role(people, client_for):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    decide(proposal)
    page = make_design_page(people.team, people.member)
    page_services.design_page_mark_obsolete(page=page, actor=people.member)
    text = client_for(people.lead).get(members_url()).text
    assert hand_over_url(people.member) not in text


def test_an_observer_with_open_roles_is_flagged_on_the_members_page(people, roles, client_for):
    make_observer(people, people.member)
    text = client_for(people.lead).get(members_url()).text
    assert "As an observer they can no longer act on these" in text


def test_a_lead_hands_a_members_roles_over_with_a_line_on_each_timeline(people, roles, client_for):
    drives, approves, page = roles
    client = client_for(people.lead)
    response = client.post(hand_over_url(people.member), {"to": people.senior.pk}, follow=True)
    assert "Handed 3 roles over to" in response.text
    drives.refresh_from_db()
    approves.refresh_from_db()
    page.refresh_from_db()
    assert (drives.driver, approves.approver, page.driver) == (people.senior,) * 3
    events = Event.objects.filter(kind=Event.Kind.HANDED_OVER, actor=people.lead)
    assert {(e.proposal_id, e.detail.split()[0]) for e in events} == {
        (drives.pk, "driving"),
        (approves.pk, "approving"),
    }
    page_event = PageEvent.objects.get(page=page)
    assert page_event.kind == PageEvent.Kind.HANDED_OVER
    page_text = client.get(page.get_absolute_url()).text
    assert "handed the page over from" in page_text
    # The new driver can act at once.
    services.proposal_close_early(proposal=drives, actor=people.senior)


def test_a_removed_persons_roles_are_listed_and_handed_over(people, roles, client_for):
    drives, _, _ = roles
    remove(people, people.member)
    client = client_for(people.lead)
    text = client.get(members_url()).text
    assert "Left with people no longer in the team" in text
    assert hand_over_url(people.member) in text
    client.post(hand_over_url(people.member), {"to": people.lead.pk})
    drives.refresh_from_db()
    assert drives.driver == people.lead
    assert "Left with people no longer in the team" not in client.get(members_url()).text


def test_roles_cannot_be_handed_to_an_observer_and_nothing_moves(people, roles, client_for):
    response = client_for(people.lead).post(
        hand_over_url(people.member), {"to": people.observer.pk}, follow=True
    )
    assert "Pick a member or lead of the team" in response.text
    assert Proposal.objects.filter(driver=people.member).count() == 1
    assert not Event.objects.filter(kind=Event.Kind.HANDED_OVER).exists()


def test_a_member_cannot_hand_roles_over(people, roles):
    with pytest.raises(PermissionDenied):
        member_roles_hand_over(
            team=people.team,
            from_user_id=people.member.pk,
            to_user_id=people.senior.pk,
            actor=people.senior,
        )
    assert Proposal.objects.filter(driver=people.member).count() == 1


def test_making_someone_observer_says_what_they_still_hold(people, roles, client_for):
    membership = Membership.objects.get(team=people.team, user=people.member)
    response = client_for(people.lead).post(
        reverse("practices:member_update", args=["pay", membership.pk]),
        {"role": "observer"},
        follow=True,
    )
    assert "They still hold open roles (drives DACI-1, approves DACI-2, drives Design #1)" in (
        response.text
    )


def test_removing_someone_says_what_is_left_behind(people, roles, client_for):
    membership = Membership.objects.get(team=people.team, user=people.member)
    response = client_for(people.lead).post(
        reverse("practices:member_remove", args=["pay", membership.pk]), follow=True
    )
    assert "They still hold open roles" in response.text
    assert "Left with people no longer in the team" in response.text


def test_the_members_page_queries_do_not_grow_with_open_roles(people, roles, client_for):
    client = client_for(people.lead)
    client.get(members_url())
    with CaptureQueriesContext(connection) as few:
        client.get(members_url())
    for _ in range(10):
        someone = add_member(people.team)
        make_proposal(people.team, someone, approver=people.member)
        make_design_page(people.team, someone)
    with CaptureQueriesContext(connection) as many:
        client.get(members_url())
    assert len(few) == len(many)


# --- mail: a pending reminder is checked again when it is sent --------------------------------


def planned_votes_due(people):
    """A votes-due reminder planned and queued for the member, not sent yet."""
    proposal = make_proposal(people.team, people.lead, approver=people.lead, open_it=True, days=1)
    plan = reminder_plan(now=timezone.now())
    row = Reminder.objects.get(kind="votes_due", user=people.member, object_id=proposal.pk)
    assert row.pk in plan.send_ids
    return row


def test_a_votes_due_reminder_is_not_sent_to_someone_made_observer_since(people):
    row = planned_votes_due(people)
    make_observer(people, people.member)
    assert reminder_send(reminder_id=row.pk) is False
    row.refresh_from_db()
    assert row.state == ReminderState.SKIPPED
    assert mail.outbox == []


def test_a_reminder_is_not_sent_to_someone_removed_since(people):
    row = planned_votes_due(people)
    remove(people, people.member)
    assert reminder_send(reminder_id=row.pk) is False
    assert Reminder.objects.get(pk=row.pk).state == ReminderState.SKIPPED
    assert mail.outbox == []


def test_a_retro_reminder_is_not_sent_to_someone_removed_since(people):
    starts = timezone.now() + dt.timedelta(hours=20)
    make_retro(people.team, starts_at=starts.replace(microsecond=0))
    reminder_plan(now=timezone.now())
    row = Reminder.objects.get(kind="retro", user=people.member)
    remove(people, people.member)
    reminder_send(reminder_id=row.pk)
    assert Reminder.objects.get(pk=row.pk).state == ReminderState.SKIPPED
    assert "member@example.com" not in [a for m in mail.outbox for a in m.to]


def test_a_reminder_still_goes_to_someone_whose_role_still_qualifies(people):
    row = planned_votes_due(people)
    Membership.objects.filter(team=people.team, user=people.member).update(role=Role.LEAD)
    assert reminder_send(reminder_id=row.pk) is True
    assert [m.to for m in mail.outbox] == [["member@example.com"]]


def test_an_outsider_never_holds_a_role_here(people):
    # A forged hand-over from someone of another team moves nothing and says so.
    stranger = UserFactory()
    with pytest.raises(Exception, match="nothing open to hand over"):
        member_roles_hand_over(
            team=people.team, from_user_id=stranger.pk, to_user_id=people.senior.pk,
            actor=people.lead,
        )  # fmt: skip
