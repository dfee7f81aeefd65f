"""``{{ moment|ago }}``: "3 hours ago", and "just now" rather than "0 minutes ago"."""

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

register = template.Library()

JUST_NOW = dt.timedelta(minutes=1)


@register.filter(name="ago")
def ago(moment: dt.datetime | None, now: dt.datetime | None = None) -> str:
    if not moment:
        return ""
    now = now or timezone.now()
    if now - moment < JUST_NOW:
        return "just now"
    return f"{timesince(moment, now)} ago"
