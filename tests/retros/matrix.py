"""The retro rows of the authorization matrix (``tests/test_permissions.py``) and their world.

Rows name the objects they act on with placeholders, filled in per test by ``resolve``:
ids differ between databases and runs.
"""

import datetime as dt

from django.utils import timezone

from practices.models import (
    Retro,
    RetroActionItem,
    RetroCard,
    RetroCardGroup,
    RetroVote,
    TeamCalendar,
)
from practices.retros import services
from tests.factories import save_retro_cadence

RETRO = "<retro>"  # the team's next retro, board open
CARD = "<card>"  # a card the plain member wrote on it
HELD_ITEM = "<held-item>"  # an open action item of the retro held before it
CALENDAR = "<calendar-token>"
# Where the lead moves the next retro: ahead, and within the ten years a date may be.
MOVE_TO = (dt.date.today() + dt.timedelta(days=60)).strftime("%Y-%m-%dT10:00")


def build_retro_world(people) -> None:
    team = people.team
    save_retro_cadence(team, people.lead)
    upcoming = services.retro_schedule(team=team)
    held_at = timezone.now() - dt.timedelta(days=7)
    held = Retro.objects.create(team=team, slot_at=held_at, starts_at=held_at)
    services.retro_action_item_add(
        retro=held, text="Write the runbook", owner=people.member, due_date=None,
        created_by=people.lead,
    )  # fmt: skip
    services.retro_card_add(
        retro=upcoming[0], author=people.member, column="ideas", text="Pair more", anonymous=False
    )
    services.team_calendar_rotate(team=team)


def resolve(args: list, people) -> list:
    team = people.team

    def fill(value):
        if value == RETRO:
            return Retro.objects.filter(team=team, starts_at__gt=timezone.now()).first().pk
        if value == CARD:
            return RetroCard.objects.get(retro__team=team).pk
        if value == HELD_ITEM:
            return RetroActionItem.objects.get(retro__team=team).pk
        if value == CALENDAR:
            return TeamCalendar.objects.get(team=team).token
        return value

    return [fill(arg) for arg in args]


def snapshot(rows) -> dict[str, list]:
    """The retro rows a refused request must leave as they were."""
    return {
        "retros": rows(Retro, "starts_at", "skipped", "moved"),
        "retro_cards": rows(RetroCard, "text", "group_id"),
        "retro_groups": rows(RetroCardGroup, "title"),
        "retro_votes": rows(RetroVote, "card_id", "voter_id"),
        "retro_items": rows(RetroActionItem, "status", "retro_id"),
        "calendars": rows(TeamCalendar, "token"),
    }
