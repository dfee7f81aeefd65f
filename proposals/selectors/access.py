"""The one place that decides who may see a proposal or a design page."""

from django.contrib.auth.models import AbstractBaseUser
from django.http import Http404

from practices.models import Membership, Role
from practices.selectors import membership_get_for_user
from proposals.models import DesignPage, Proposal

VOTING_ROLES = (Role.LEAD, Role.MEMBER)


def can_take_part(membership: Membership) -> bool:
    """Members and leads vote, comment and start drafts; observers only read."""
    return membership.role in VOTING_ROLES


def proposal_get_for_user(
    *, slug: str, number: int, user: AbstractBaseUser
) -> tuple[Membership, Proposal]:
    """The user's membership and the team's proposal ``number``; 404 for outsiders."""
    membership = membership_get_for_user(slug=slug, user=user)
    try:
        proposal = Proposal.objects.select_related(
            "team", "driver", "approver", "chosen_option", "decided_by", "superseded_by"
        ).get(team=membership.team, number=number)
    except Proposal.DoesNotExist:
        raise Http404("No such proposal.") from None
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
