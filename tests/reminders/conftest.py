import datetime as dt
from dataclasses import dataclass

import pytest
import time_machine
from django.core.cache import cache

UTC = dt.UTC


@dataclass
class Clock:
    traveller: object

    def at(self, moment: dt.datetime) -> None:
        self.traveller.move_to(moment)


@pytest.fixture
def clock():
    """A frozen clock the test moves: ``clock.at(datetime)``."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield Clock(traveller)


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()
