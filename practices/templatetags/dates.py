"""How every page shows a date: ``{{ value|when:"D j M, H:i" }}``.

The format is the page's own; the year is added after the month when the date is more
than six months away or in another year, so "12 Mar" is never a year off. A far date
stored before dates were checked is shown as it is, never a 500 for the page.
"""

import datetime as dt

from django import template
from django.utils import dateformat, timezone

register = template.Library()

HALF_A_YEAR = dt.timedelta(days=183)
YEAR_TOKENS = set("YyocrU")
MONTH_TOKENS = set("bEFMNn")


def _local(value: dt.datetime) -> dt.datetime:
    # Like Django's |date: shown in the current zone unless |timezone already chose one.
    if timezone.is_naive(value) or not getattr(value, "convert_to_local_time", True):
        return value
    try:
        return timezone.localtime(value)
    except OverflowError:
        return value


def _needs_year(value: dt.date | dt.datetime) -> bool:
    if isinstance(value, dt.datetime):
        aware = timezone.is_aware(value)
        now = timezone.now().astimezone(value.tzinfo) if aware else dt.datetime.now()
        return value.year != now.year or abs(value - now) > HALF_A_YEAR
    today = timezone.localdate()
    return value.year != today.year or abs(value - today) > HALF_A_YEAR


def with_year(fmt: str) -> str:
    """``fmt`` with " Y" after its month, unless it shows a year already."""
    tokens, escaped = [], False
    for i, char in enumerate(fmt):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        else:
            tokens.append((i, char))
    if any(char in YEAR_TOKENS for _, char in tokens):
        return fmt
    month = next((i for i, char in tokens if char in MONTH_TOKENS), None)
    if month is None:
        return fmt
    return f"{fmt[: month + 1]} Y{fmt[month + 1 :]}"


@register.filter(expects_localtime=False)
def when(value, fmt: str = "j M") -> str:
    if not isinstance(value, dt.date):
        return ""
    if isinstance(value, dt.datetime):
        value = _local(value)
    if _needs_year(value):
        fmt = with_year(fmt)
    return dateformat.format(value, fmt)
