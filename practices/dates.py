"""Dates people type: one rule for every date field of the app.

A date a person plans with (a due date, a review date, a milestone, a retro's new time)
is refused when it is absurd — before 2000, or more than ten years out, which is
always a typo and, near year 9999, breaks time zone arithmetic — and, where the past
makes no sense, when its day is over everywhere on Earth.
"""

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from practices.charter.fields import NativeDateInput

EARLIEST = dt.date(2000, 1, 1)
YEARS_AHEAD = 10
# What the database keeps, whatever the code: a timestamp past year 9999 in UTC is
# stored by PostgreSQL but cannot be read back by Python, and would break every page
# that lists the row. Far above what a form accepts, far below that edge.
STORED_BEFORE = dt.datetime(3000, 1, 1, tzinfo=dt.UTC)


def _today_somewhere() -> dt.date:
    # The server runs on UTC but people type dates in their own zone: a day is "past"
    # only once it is over in the last zone to reach midnight (UTC-12, "anywhere on
    # Earth"), so nobody west of UTC has today refused.
    return (timezone.now() - dt.timedelta(hours=12)).date()


def date_latest(*, today: dt.date | None = None) -> dt.date:
    """The last day a person may plan for: ten years from today."""
    today = today or timezone.now().date()
    return today.replace(year=today.year + YEARS_AHEAD, day=min(today.day, 28))


def date_check(
    *,
    day: dt.date,
    allow_past: bool,
    past_message: str = "This date has passed: pick today or a later day.",
) -> None:
    """Raises ValidationError, with a message for the person, when ``day`` is not sane."""
    if day < EARLIEST:
        raise ValidationError("Pick a date in 2000 or later.", code="too_early")
    latest = date_latest()
    if day > latest:
        raise ValidationError(
            f"Pick a date before {latest:%-d %b %Y}: more than ten years out looks like a typo.",
            code="too_late",
        )
    if not allow_past and day < _today_somewhere():
        raise ValidationError(past_message, code="past")


class PlannedDateField(forms.DateField):
    """A date someone plans with, shown with the browser's date picker.

    ``allow_past`` keeps the past for dates that record what happened (a milestone
    reached). A form may set ``keep`` to the stored value so that re-saving an old date
    unchanged is not refused.
    """

    def __init__(self, *, allow_past: bool = False, **kwargs) -> None:
        self.allow_past = allow_past
        self.keep: dt.date | None = None
        kwargs.setdefault("widget", NativeDateInput())
        super().__init__(**kwargs)

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None:
            date_check(day=value, allow_past=self.allow_past or value == self.keep)

    def __deepcopy__(self, memo):
        # Each form gets a copy of its fields: the picker's range is set then, not once
        # when the process started. The browser only helps; the server still checks.
        field = super().__deepcopy__(memo)
        field.widget.attrs["max"] = date_latest().isoformat()
        if not self.allow_past:
            field.widget.attrs["min"] = _today_somewhere().isoformat()
        return field


class PlannedDateTimeField(forms.DateTimeField):
    """A local date and time someone plans with (``datetime-local``), same range."""

    def __init__(self, *, allow_past: bool = False, **kwargs) -> None:
        self.allow_past = allow_past
        kwargs.setdefault("input_formats", ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        try:
            return super().to_python(value)
        except OverflowError:
            # 0001-01-01T00:30 or 9999-12-31T23:30 cannot be moved to UTC at all.
            raise ValidationError(
                f"Pick a date between 2000 and {date_latest().year}.", code="too_late"
            ) from None

    def validate(self, value) -> None:
        super().validate(value)
        if value is not None:
            date_check(
                day=value.date(),
                allow_past=self.allow_past,
                past_message="Choose a time in the future.",
            )
