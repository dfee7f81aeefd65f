"""Writes of reminder settings that are not preferences (those are in ``preferences``)."""

from django.db import transaction

from practices.models import ReminderTeamSettings, Team


@transaction.atomic
def reminder_team_settings_update(*, team: Team, retro_days_before: int) -> ReminderTeamSettings:
    """Sets how many days before each retro its reminder goes out; the next planner run
    uses it (reminders already sent stay sent)."""
    settings, _ = ReminderTeamSettings.objects.get_or_create(team=team)
    settings.retro_days_before = retro_days_before
    settings.full_clean(exclude=["team"])
    settings.save()
    return settings
