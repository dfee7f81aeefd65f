"""Retro work done by Celery: keeping each team's next retros materialised."""

from celery import shared_task

from practices.models import Team
from practices.retros.services import retro_schedule, retro_schedule_due_teams
from practices.task_policies import DATABASE_RETRY


@shared_task(**DATABASE_RETRY)
def retro_schedule_team(team_id: int) -> None:
    """Schedules one team's upcoming retros. Safe twice: scheduling is idempotent."""
    team = Team.objects.filter(pk=team_id).first()
    if team is None:
        return
    retro_schedule(team=team)


@shared_task(**DATABASE_RETRY)
def retro_schedule_teams() -> int:
    """Run by beat: tops up the horizon of every team that is short of upcoming retros.

    Done in this task rather than one task per team: each is a few quick queries.
    """
    team_ids = retro_schedule_due_teams()
    for team in Team.objects.filter(pk__in=team_ids):
        retro_schedule(team=team)
    return len(team_ids)
