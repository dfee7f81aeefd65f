"""The charter's retro cadence, read as data, and the occurrences it produces."""

import datetime as dt
import zoneinfo
from dataclasses import dataclass

from practices.charter.sections import section_spec

WEEK = dt.timedelta(weeks=1)


@dataclass(frozen=True)
class Cadence:
    every_weeks: int
    weekday: int  # 0 = Monday
    start_time: dt.time
    time_zone: str
    duration_minutes: int

    @classmethod
    def from_data(cls, data: dict | None) -> "Cadence":
        merged = section_spec("retros").with_defaults(data)
        start = merged["start_time"]
        if isinstance(start, str):
            start = dt.time.fromisoformat(start)
        return cls(
            every_weeks=int(merged["every_weeks"]) or 1,
            weekday=int(merged["weekday"]),
            start_time=start,
            time_zone=merged["time_zone"] or "UTC",
            duration_minutes=int(merged["duration_minutes"]),
        )

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def at(self, day: dt.date) -> dt.datetime:
        """The occurrence on local ``day``, in UTC.

        The wall-clock time is kept across daylight-saving changes. A time that does
        not exist that day (inside the spring-forward gap) lands just after the gap.
        """
        local = dt.datetime.combine(day, self.start_time, tzinfo=self.tzinfo)
        return local.astimezone(dt.UTC)

    def local_day(self, moment: dt.datetime) -> dt.date:
        return moment.astimezone(self.tzinfo).date()

    def matches(self, moment: dt.datetime) -> bool:
        """Whether ``moment`` is on this cadence's weekday and local time."""
        local = moment.astimezone(self.tzinfo)
        return local.weekday() == self.weekday and self.at(local.date()) == moment

    def first_after(self, moment: dt.datetime) -> dt.date:
        """The first local day on the cadence's weekday whose occurrence is after ``moment``."""
        day = self.local_day(moment)
        day += dt.timedelta(days=(self.weekday - day.weekday()) % 7)
        while self.at(day) <= moment:
            day += WEEK
        return day

    def days_from(self, first: dt.date, count: int) -> list[dt.date]:
        return [first + i * self.every_weeks * WEEK for i in range(count)]
