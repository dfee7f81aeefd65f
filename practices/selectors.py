"""Reads: each returns what a page needs in a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from practices.charter.sections import SECTION_ORDER
from practices.models import CharterRevision, CharterSection, Membership, Role, Team
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


def charter_section_list(*, team: Team) -> list[CharterSection]:
    sections = CharterSection.objects.filter(team=team).select_related("updated_by")
    return sorted(
        (s for s in sections if s.key in SECTION_ORDER), key=lambda s: SECTION_ORDER[s.key]
    )


def charter_section_get(*, team: Team, key: str) -> CharterSection:
    if key not in SECTION_ORDER:
        raise Http404("No such charter section.")
    try:
        return CharterSection.objects.select_related("updated_by").get(team=team, key=key)
    except CharterSection.DoesNotExist:
        raise Http404("No such charter section.") from None


def charter_revision_list(*, team: Team, key: str | None = None) -> QuerySet[CharterRevision]:
    revisions = CharterRevision.objects.filter(team=team).select_related("author")
    if key:
        revisions = revisions.filter(section_key=key)
    return revisions.defer("data", "text")


def charter_revision_get(*, team: Team, pk: int) -> CharterRevision:
    try:
        return CharterRevision.objects.select_related("author").get(team=team, pk=pk)
    except CharterRevision.DoesNotExist:
        raise Http404("No such revision.") from None


def charter_revisions_since(*, section: CharterSection, version: int) -> QuerySet[CharterRevision]:
    """Revisions saved after ``version``: what someone else changed while you edited."""
    return (
        CharterRevision.objects.filter(section=section, number__gt=version)
        .select_related("author")
        .order_by("number")
    )


def charter_revision_at(*, section: CharterSection, number: int) -> CharterRevision | None:
    return CharterRevision.objects.filter(section=section, number=number).first()


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
        return self.membership is None or self.membership.role == Role.OBSERVER


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
        ((m.user_id, person_name(m.user)) for m in memberships if m.role != Role.OBSERVER),
        key=lambda choice: choice[1].lower(),
    )
