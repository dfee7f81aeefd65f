"""Reads about teams and their members: each returns what a page needs in a fixed number
of queries."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from practices.models import CONTRIBUTING_ROLES, Membership, Team
from practices.registries import OpenRole, open_role_list
from practices.web import person_name


def membership_get_for_user(*, slug: str, user: AbstractBaseUser) -> Membership:
    """The user's membership of the team ``slug``, with the team; 404 for outsiders.

    Outsiders get 404, not 403: a team's existence is not leaked.
    """
    try:
        return Membership.objects.select_related("team").get(team__slug=slug, user=user)
    except Membership.DoesNotExist:
        raise Http404("No such team.") from None


def membership_list_for_user(*, user: AbstractBaseUser) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("team").order_by("team__name")


def membership_list_for_team(*, team: Team) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(team=team)
        .select_related("user")
        .order_by("role", "user__first_name", "user__email")
    )


def membership_takes_part(*, team_id: int, user: AbstractBaseUser) -> bool:
    """Whether ``user`` is a lead or member of the team right now (observers only read).

    For services that check the role at the moment of the action, inside their
    transaction, rather than trusting the membership a view read earlier.
    """
    return Membership.objects.filter(
        team_id=team_id, user=user, role__in=CONTRIBUTING_ROLES
    ).exists()


@dataclass
class PersonRoles:
    """What someone drives or approves in the team, and whether they can still act on it."""

    user_id: int
    name: str
    roles: list[OpenRole]
    membership: Membership | None  # None: they left the team

    @property
    def left_behind(self) -> bool:
        """Named on things they can no longer act on: an observer, or no longer in the team."""
        return self.membership is None or not self.membership.takes_part


def member_open_roles(*, team: Team, memberships: list[Membership]) -> dict[int, PersonRoles]:
    """Everyone holding an open role in the team, by user id: members from ``memberships``,
    and people who left (read in one more query). A fixed number of queries."""
    by_user: dict[int, list[OpenRole]] = defaultdict(list)
    for role in open_role_list(team=team):
        by_user[role.user_id].append(role)
    members = {m.user_id: m for m in memberships}
    gone = get_user_model().objects.filter(pk__in=set(by_user) - set(members))
    names = {m.user_id: person_name(m.user) for m in memberships} | {
        u.pk: person_name(u) for u in gone
    }
    return {
        user_id: PersonRoles(user_id, names.get(user_id, "someone"), roles, members.get(user_id))
        for user_id, roles in by_user.items()
    }


def hand_over_choices(*, memberships: list[Membership]) -> list[tuple[int, str]]:
    """Who can take roles over: the team's members and leads, by name."""
    return sorted(
        ((m.user_id, person_name(m.user)) for m in memberships if m.takes_part),
        key=lambda choice: choice[1].lower(),
    )
