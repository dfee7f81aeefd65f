"""What the kinds read from team charters, for many teams at once."""

from collections.abc import Iterable

from practices.models import CharterSection

DEFAULT_TURNAROUND_HOURS = 24


def review_turnaround_hours_map(*, team_ids: Iterable[int] | None) -> dict[int, int]:
    """Team id → the charter's expected review turnaround in hours (one query)."""
    sections = CharterSection.objects.filter(key="code_review")
    if team_ids is not None:
        sections = sections.filter(team_id__in=list(team_ids))
    return {
        team_id: int((data or {}).get("turnaround_hours") or DEFAULT_TURNAROUND_HOURS)
        for team_id, data in sections.values_list("team_id", "data")
    }
