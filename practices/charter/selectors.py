"""Reads of a team's charter and its revisions: each in a fixed number of queries."""

from django.db.models import QuerySet
from django.http import Http404

from practices.charter.sections import SECTION_ORDER
from practices.models import CharterRevision, CharterSection, Team


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
