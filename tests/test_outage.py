"""Pages while PostgreSQL or Redis is down, without the servers: the fast half.

The database is made unreachable by a query wrapper that fails each query the way
Django reports a connection psycopg could not make; Redis by pointing the cache at a
port where nothing listens. ``tests/faults/test_outage.py`` stops real servers under
real gunicorn.
"""

import logging
import sqlite3
import subprocess
import sys
from contextlib import contextmanager

import psycopg
import psycopg.errors
import pytest
from django.db import DatabaseError, InterfaceError, OperationalError, ProgrammingError, connection
from django.test import Client, RequestFactory
from django.urls import reverse

from teamlead import cache as optional_cache
from teamlead.errors import RETRY_AFTER_SECONDS, database_unreachable, server_error
from tests.factories import PASSWORD, UserFactory
from tests.faults.servers import free_port
from tests.test_deploy import production_env


def _connection_refused() -> OperationalError:
    error = OperationalError("connection failed: Connection refused")
    error.__cause__ = psycopg.OperationalError("connection failed: Connection refused")
    return error


@contextmanager
def failing_queries(error_factory):
    """Every query in this thread raises what ``error_factory`` makes, as the driver
    would have (wrapped by Django, the driver's error as its cause)."""

    def fail(execute, sql, params, many, context):
        raise error_factory()

    with connection.execute_wrapper(fail):
        yield


@pytest.fixture
def signed_in(people) -> Client:
    # The page handler must answer, not raise into the test.
    client = Client(raise_request_exception=False)
    client.force_login(people.lead)
    return client


# ---- PostgreSQL unreachable -----------------------------------------------------------


def test_a_page_answers_503_with_retry_after_while_the_database_is_unreachable(signed_in):
    with failing_queries(_connection_refused):
        response = signed_in.get(reverse("practices:charter", args=["pay"]))
    assert response.status_code == 503
    assert response["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert "no-cache" in response["Cache-Control"]
    assert "We can't reach the database" in response.text
    assert "/static/css/app" in response.text  # styled, not Django's bare text
    assert f'<meta http-equiv="refresh" content="{RETRY_AFTER_SECONDS}">' in response.text


def test_a_form_sent_while_the_database_is_unreachable_is_said_not_saved_and_not_resent(
    signed_in,
):
    with failing_queries(_connection_refused):
        response = signed_in.post(reverse("proposals:create", args=["pay"]), {"title": "x"})
    assert response.status_code == 503
    assert "What you sent was not saved" in response.text
    assert 'http-equiv="refresh"' not in response.text


def test_a_lost_connection_is_a_503_too(signed_in):
    def closed():
        error = InterfaceError("connection already closed")
        error.__cause__ = psycopg.InterfaceError("connection already closed")
        return error

    with failing_queries(closed):
        response = signed_in.get(reverse("home"))
    assert response.status_code == 503


def test_a_query_error_on_a_database_that_answers_stays_a_styled_500(signed_in):
    def bad_query():
        error = ProgrammingError('relation "x" does not exist')
        error.__cause__ = psycopg.errors.UndefinedTable('relation "x" does not exist')
        return error

    with failing_queries(bad_query):
        response = signed_in.get(reverse("home"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "Something went wrong" in response.text
    assert "/static/css/app" in response.text


def test_healthz_still_answers_json_503_while_the_database_is_unreachable(signed_in):
    # Even to a browser that carries a session cookie.
    with failing_queries(_connection_refused):
        response = signed_in.get(reverse("healthz"))
    assert response.status_code == 503
    assert response.json()["database"] == "error: OperationalError"


def _wrapped(driver_error: Exception, wrapper=OperationalError) -> DatabaseError:
    error = wrapper(str(driver_error))
    error.__cause__ = driver_error
    return error


@pytest.mark.parametrize(
    ("error", "unreachable"),
    [
        (_wrapped(psycopg.OperationalError("connection failed: Connection refused")), True),
        (_wrapped(psycopg.errors.ConnectionTimeout("connection timeout expired")), True),
        (_wrapped(psycopg.errors.AdminShutdown("terminating connection")), True),
        (_wrapped(psycopg.errors.CannotConnectNow("the database system is starting")), True),
        (_wrapped(psycopg.errors.TooManyConnections("sorry, too many clients")), True),
        (_wrapped(psycopg.errors.ConnectionFailure("connection failure")), True),
        (_wrapped(psycopg.InterfaceError("connection closed"), InterfaceError), True),
        # The database answered: the query, the data or the lock is at fault.
        (_wrapped(psycopg.errors.QueryCanceled("canceling statement due to timeout")), False),
        (_wrapped(psycopg.errors.DeadlockDetected("deadlock detected")), False),
        (_wrapped(psycopg.errors.LockNotAvailable("could not obtain lock")), False),
        (_wrapped(psycopg.errors.UndefinedTable("no relation"), ProgrammingError), False),
        (_wrapped(sqlite3.OperationalError("database is locked")), False),
        (_wrapped(sqlite3.OperationalError("no such table: x")), False),
        (ValueError("not a database error at all"), False),
        (None, False),
    ],
    ids=lambda value: (
        type(value.__cause__ or value).__name__ if isinstance(value, Exception) else None
    ),
)
def test_only_a_connection_that_cannot_be_made_or_was_lost_counts_as_unreachable(
    error, unreachable
):
    assert database_unreachable(error) is unreachable


def test_an_error_raised_while_handling_a_lost_connection_is_still_unreachable():
    try:
        try:
            raise _connection_refused()
        except OperationalError:
            raise RuntimeError("rollback failed too") from None
    except RuntimeError as error:
        # "from None" hides the context from tracebacks but keeps it on the error.
        assert database_unreachable(error)


@pytest.mark.parametrize("failure", [_connection_refused, lambda: ValueError("a bug")])
def test_the_error_pages_make_no_query(db, django_assert_num_queries, failure):
    request = RequestFactory().get("/")
    try:
        raise failure()
    except Exception:
        with django_assert_num_queries(0):
            response = server_error(request)
    assert response.status_code in (500, 503)


def _settings_in_a_child(tmp_path, *names: str, **env: str) -> subprocess.CompletedProcess:
    script = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "print(json.dumps({name: eval('settings.' + name) for name in sys.argv[1:]}))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", script, *names],
        env=production_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_postgresql_connections_give_up_after_five_seconds_by_default(tmp_path):
    result = _settings_in_a_child(
        tmp_path,
        "DATABASES['default']['OPTIONS']['connect_timeout']",
        DATABASE_URL="postgres://teamlead@db.invalid:5432/teamlead",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": 5}")


def test_the_connect_timeout_comes_from_the_environment_and_refuses_nonsense(tmp_path):
    url = "postgres://teamlead@db.invalid:5432/teamlead"
    result = _settings_in_a_child(
        tmp_path,
        "DATABASES['default']['OPTIONS']['connect_timeout']",
        DATABASE_URL=url,
        DATABASE_CONNECT_TIMEOUT="3",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith(": 3}")
    for value, message in (("0", "must be at least 2"), ("soon", "must be a whole number")):
        result = _settings_in_a_child(
            tmp_path, "DEBUG", DATABASE_URL=url, DATABASE_CONNECT_TIMEOUT=value
        )
        assert result.returncode != 0
        assert f"DATABASE_CONNECT_TIMEOUT {message}" in result.stderr


# ---- Redis unreachable ----------------------------------------------------------------


@pytest.fixture
def redis_down(settings, monkeypatch):
    """The default cache is Redis at a port where nothing listens."""
    location = f"redis://127.0.0.1:{free_port()}/0"
    # A fresh record of outages: a port can come round again in a later test.
    monkeypatch.setattr(optional_cache, "_outages", {})
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "teamlead.cache.OptionalRedisCache", "LOCATION": location},
    }
    return location


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "teamlead.cache"]


def test_signed_in_pages_serve_while_redis_is_down_and_the_outage_is_logged_once(
    people, redis_down, caplog, monkeypatch
):
    # Try Redis on every call, as after each pause: still one warning for the outage.
    monkeypatch.setattr(optional_cache, "RETRY_SECONDS", 0)
    client = Client(raise_request_exception=True)
    client.force_login(people.lead)
    page = reverse("practices:charter", args=["pay"])
    with caplog.at_level(logging.WARNING, logger="teamlead.cache"):
        for _ in range(5):
            response = client.get(page)
            assert response.status_code == 200
    assert len(_warnings(caplog)) == 1
    assert "cache unreachable" in _warnings(caplog)[0]


def test_the_scheduler_banner_still_shows_from_the_database_while_redis_is_down(people, redis_down):
    import datetime as dt

    from django.utils import timezone

    from practices.models import Heartbeat

    Heartbeat.objects.create(name="beat", ticked_at=timezone.now() - dt.timedelta(minutes=20))
    client = Client()
    client.force_login(people.lead)
    response = client.get(reverse("practices:charter", args=["pay"]))
    assert "Reminders are not going out" in response.text


def test_sign_in_works_while_redis_is_down(db, redis_down):
    UserFactory(email="ana@example.com")
    client = Client()
    assert client.get(reverse("login")).status_code == 200
    response = client.post(reverse("login"), {"username": "ana@example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_the_sign_in_throttle_still_locks_while_redis_is_down(db, redis_down, settings):
    UserFactory(email="ana@example.com")
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "ana@example.com", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "ana@example.com", "password": PASSWORD})
    assert response.status_code == 429


def test_the_cache_configured_for_redis_misses_instead_of_failing_when_redis_is_down(tmp_path):
    script = (
        "from django.core.cache import cache\n"
        "cache.set('k', 1)\n"
        "print(repr(cache.get('k', 'missed')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + script],
        env=production_env(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "'missed'"
    assert result.stderr.count("cache unreachable at") == 1


def test_every_cache_operation_misses_instead_of_failing(redis_down, monkeypatch):
    from django.core.cache import caches

    monkeypatch.setattr(optional_cache, "RETRY_SECONDS", 0)
    cache = caches["default"]
    assert cache.get("k") is None
    assert cache.get("k", "fallback") == "fallback"
    assert cache.set("k", 1) is None
    assert cache.add("k", 1) is False
    assert cache.touch("k") is False
    assert cache.delete("k") is False
    assert cache.has_key("k") is False
    assert cache.get_many(["k", "j"]) == {}
    assert cache.set_many({"k": 1, "j": 2}) == ["k", "j"]
    assert cache.delete_many(["k"]) is None
    assert cache.get_or_set("k", 3) == 3
    with pytest.raises(ValueError, match="not found"):
        cache.incr("k")
    assert cache.clear() is False


def test_while_redis_is_known_down_it_is_not_asked_again_until_the_pause_ends(
    redis_down, monkeypatch
):
    from django.core.cache import caches

    cache = caches["default"]
    cache.get("k")  # the failure that starts the outage
    attempts = []
    monkeypatch.setattr(
        optional_cache.RedisCache, "get", lambda *args: attempts.append(args) or None
    )
    cache.get("k")
    assert attempts == []
    monkeypatch.setattr(optional_cache, "RETRY_SECONDS", 0)
    cache._outage._retry_at = 0.0  # the pause is over
    cache.get("k")
    assert len(attempts) == 1


def test_a_redis_error_that_is_not_an_outage_is_not_hidden(redis_down, monkeypatch):
    from django.core.cache import caches
    from redis.exceptions import ResponseError

    def wrong_type(*args):
        raise ResponseError("WRONGTYPE Operation against a key holding the wrong kind of value")

    monkeypatch.setattr(optional_cache.RedisCache, "get", wrong_type)
    with pytest.raises(ResponseError):
        caches["default"].get("k")
