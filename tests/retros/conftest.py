import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from practices.models import Retro
from practices.retros.services import retro_schedule
from tests.factories import save_retro_cadence

UTC = dt.UTC
# A Monday; the team's default cadence (every 2 weeks, Thursday 15:00) starts that week.
MONDAY = dt.datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    """A frozen clock that tests move with ``clock.move_to(...)``."""
    with time_machine.travel(MONDAY, tick=False) as traveller:
        yield traveller


def set_cadence(team, author, **data) -> None:
    """Saves the charter's retro cadence the way a lead does, through the service."""
    save_retro_cadence(team, author, **data)
    retro_schedule(team=team)


def upcoming(team) -> list[Retro]:
    now = timezone.now()
    return list(Retro.objects.filter(team=team, starts_at__gt=now).order_by("starts_at"))


@pytest.fixture
def retro(people, clock) -> Retro:
    """The team's next retro: Thursday 5 March 2026, 15:00 Berlin, the board open."""
    set_cadence(
        people.team,
        people.lead,
        every_weeks=2,
        weekday=3,
        start_time="15:00",
        time_zone="Europe/Berlin",
        duration_minutes=60,
    )
    first = retro_schedule(team=people.team)[0]
    first.team = people.team
    return first
