"""The Redis cache, made optional: while Redis is unreachable, reads miss and writes drop.

Nothing Teamlead keeps in the cache is the only copy (the scheduler's heartbeat is a row;
sessions and the sign-in throttle live in the database), so an outage of Redis must cost
speed, never a page. Every operation that cannot reach Redis answers as if the key were
missing; the caller then goes to the database as on any miss.

An outage is logged once when it starts and once when it ends, not on every request.
While it lasts, Redis is left alone for ``RETRY_SECONDS`` after each failed attempt, so
requests do not each wait for a connection that will not come.
"""

import logging
import threading
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

# Connection refused is immediate; a host that drops packets is not. One second bounds
# what a request pays for a cache it can do without.
SOCKET_TIMEOUT = 1.0
RETRY_SECONDS = 5.0
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


class _Outage:
    """Whether one Redis location is known to be down, shared by every thread of a process
    (Django keeps a cache object per thread; one warning per outage needs one state)."""

    def __init__(self, location: str):
        self.location = location
        self._lock = threading.Lock()
        self._retry_at: float | None = None

    def skipping(self) -> bool:
        retry_at = self._retry_at
        return retry_at is not None and time.monotonic() < retry_at

    def failed(self, error: Exception) -> None:
        with self._lock:
            started = self._retry_at is None
            self._retry_at = time.monotonic() + RETRY_SECONDS
        if started:
            logger.warning(
                "cache unreachable at %s (%s: %s): serving from the database until it is back",
                self.location,
                type(error).__name__,
                error,
            )

    def succeeded(self) -> None:
        if self._retry_at is None:
            return
        with self._lock:
            ended = self._retry_at is not None
            self._retry_at = None
        if ended:
            logger.warning("cache reachable again at %s", self.location)


_outages: dict[str, _Outage] = {}
_outages_lock = threading.Lock()


def _outage_for(location: str) -> _Outage:
    with _outages_lock:
        return _outages.setdefault(location, _Outage(location))


class OptionalRedisCache(RedisCache):
    """Django's Redis cache whose every operation survives Redis being down (see above)."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**params.get("OPTIONS", {})}}
        params["OPTIONS"].setdefault("socket_connect_timeout", SOCKET_TIMEOUT)
        params["OPTIONS"].setdefault("socket_timeout", SOCKET_TIMEOUT)
        super().__init__(server, params)
        self._outage = _outage_for(",".join(self._servers))

    def _or(self, fallback, operation, *args):
        if self._outage.skipping():
            return fallback
        try:
            result = operation(*args)
        except UNREACHABLE as error:
            self._outage.failed(error)
            return fallback
        self._outage.succeeded()
        return result

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._or(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._or(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._or(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._or({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._or(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        missing = object()
        found = self._or(missing, super().incr, key, delta, version)
        if found is missing:
            # What Django's caches do for a key they do not hold.
            raise ValueError(f"Key '{key}' not found (the cache is unreachable)")
        return found

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        # The keys that could not be stored, as the cache API reports them.
        return self._or(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._or(None, super().delete_many, keys, version)

    def clear(self):
        return self._or(False, super().clear)
