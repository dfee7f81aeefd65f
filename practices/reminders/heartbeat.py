"""Beat's heartbeat: a tick every minute, so a scheduler that stopped is noticed."""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone

from practices.models import Heartbeat

BEAT = "beat"
STALE_AFTER = timedelta(minutes=15)
CACHE_KEY = "heartbeat-stale"
CACHE_SECONDS = 60


def heartbeat_tick(*, name: str = BEAT) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"ticked_at": timezone.now()})
    # A tick is the answer "not stale": pages need not ask the database for it.
    cache.set(f"{CACHE_KEY}:{name}", "", CACHE_SECONDS)


def heartbeat_stale_since(*, name: str = BEAT, now: datetime | None = None) -> datetime | None:
    """When the scheduler last ticked, if that is longer ago than 15 minutes; else None.

    A fresh install whose beat never ticked has no row and is not reported: the first
    tick starts the watch. (One query.)
    """
    now = now or timezone.now()
    ticked_at = Heartbeat.objects.filter(name=name).values_list("ticked_at", flat=True).first()
    if ticked_at is not None and now - ticked_at > STALE_AFTER:
        return ticked_at
    return None


def heartbeat_stale_since_cached(*, name: str = BEAT) -> datetime | None:
    """``heartbeat_stale_since``, remembered for a minute: pages ask it on every view.

    While Redis is down the cache misses (teamlead/cache.py), so this asks the database.
    """
    key = f"{CACHE_KEY}:{name}"
    found = cache.get(key)
    if found is None:
        since = heartbeat_stale_since(name=name)
        found = since.isoformat() if since else ""
        cache.set(key, found, CACHE_SECONDS)
    return datetime.fromisoformat(found) if found else None
