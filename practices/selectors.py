"""Reads: each returns what a page needs in a fixed number of queries."""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404

from practices.charter.sections import SECTION_ORDER
from practices.models import CharterRevision, CharterSection, Membership, Team


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
