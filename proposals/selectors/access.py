"""The one place that decides who may see a proposal or a design page."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from practices.models import Membership, Role
from practices.teams.selectors import membership_get_for_user
from proposals.models import ActionItem, DesignPage, Proposal


def drives(membership: Membership | None, thing: Proposal | DesignPage) -> bool:
    """The person drives the proposal or page and still takes part in its team.

    Roles are read at the moment of the action: a driver made an observer, or removed,
    keeps the name on the page but none of the rights (a lead hands them over).
    """
    return (
        membership is not None
        and membership.takes_part
        and membership.team_id == thing.team_id
        and membership.user_id == thing.driver_id
    )


def approves(membership: Membership | None, proposal: Proposal) -> bool:
    """The person is the proposal's approver and still takes part in its team."""
    return (
        membership is not None
        and membership.takes_part
        and membership.team_id == proposal.team_id
        and membership.user_id == proposal.approver_id
    )


def can_send_action_items_to_jira(*, membership: Membership | None, proposal: Proposal) -> bool:
    """Leads, and the decision's driver and approver, send its action items to Jira."""
    if membership is None:
        return False
    return (
        membership.role == Role.LEAD
        or drives(membership, proposal)
        or approves(membership, proposal)
    )


def can_mark_superseded(*, membership: Membership, approves_another_decision: bool) -> bool:
    """Leads, and the approver of a later decision, mark a decision superseded (by it)."""
    return membership.role == Role.LEAD or (membership.takes_part and approves_another_decision)


def proposal_get_for_user(
    *, slug: str, number: int, user: AbstractBaseUser
) -> tuple[Membership, Proposal]:
    """The user's membership and the team's proposal ``number``; 404 for outsiders.

    The proposal comes with its team (the membership's) and its driver and approver.
    What only a decided proposal has (its chosen option, who decided, what superseded it)
    is left to the reads that show it: every table joined here costs PostgreSQL planning
    time on every request, several milliseconds for six joins.
    """
    membership = membership_get_for_user(slug=slug, user=user)
    try:
        proposal = Proposal.objects.select_related("driver", "approver").get(
            team=membership.team, number=number
        )
    except Proposal.DoesNotExist:
        raise Http404("No such proposal.") from None
    proposal.team = membership.team
    return membership, proposal


def design_page_get_for_user(
    *, slug: str, number: int, user: AbstractBaseUser
) -> tuple[Membership, DesignPage]:
    membership = membership_get_for_user(slug=slug, user=user)
    try:
        page = DesignPage.objects.select_related("team", "driver", "updated_by", "proposal").get(
            team=membership.team, number=number
        )
    except DesignPage.DoesNotExist:
        raise Http404("No such design page.") from None
    return membership, page


def action_item_get_for_user(
    *, slug: str, number: int, item_id: int, user: AbstractBaseUser
) -> tuple[Membership, ActionItem]:
    """An action item of the team's proposal ``number``, with its proposal; 404 otherwise."""
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=user)
    try:
        item = proposal.action_items.select_related("owner").get(pk=item_id)
    except ActionItem.DoesNotExist:
        raise Http404("No such action item.") from None
    item.proposal = proposal
    return membership, item
