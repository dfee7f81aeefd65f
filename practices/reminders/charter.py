"""What the kinds read from team charters, for many teams at once."""

from collections import defaultdict
from collections.abc import Iterable

from practices.charter.sections import section_spec
from practices.models import CharterSection


def review_turnaround_hours_map(*, team_ids: Iterable[int] | None) -> defaultdict[int, int]:
    """Team id → the charter's expected review turnaround in hours (one query).

    A team whose section says nothing gets the charter's default, also when indexed.
    """
    default = section_spec("code_review").default["turnaround_hours"]
    sections = CharterSection.objects.filter(key="code_review")
    if team_ids is not None:
        sections = sections.filter(team_id__in=list(team_ids))
    hours: defaultdict[int, int] = defaultdict(lambda: default)
    for team_id, data in sections.values_list("team_id", "data"):
        hours[team_id] = int((data or {}).get("turnaround_hours") or default)
    return hours
