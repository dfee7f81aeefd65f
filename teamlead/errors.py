"""The page for an uncaught error: 503 while the database cannot be reached, else 500.

Django calls ``handler500`` for an exception raised anywhere in a request, in a view or
in a middleware (loading the session is the first thing to fail when PostgreSQL is
down), from inside its ``except`` block, so the exception is ``sys.exc_info()``.

Both pages render without a request context: the base template of every other page
asks for the signed-in user, which is a database query, and an error page must not fail
the way the request did.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

# How long a browser or a proxy is told to wait before asking again; the 503 page
# reloads itself after the same time.
RETRY_AFTER_SECONDS = 10

# PostgreSQL error classes that mean "no usable connection", not "this query is wrong":
# 08 connection exception; 57P01-57P03 the server is shutting down, crashed or starting;
# 53300 too many connections.
_CONNECTION_SQLSTATES = ("08", "57P01", "57P02", "57P03", "53300")


def database_unreachable(error: BaseException | None) -> bool:
    """Whether ``error`` says the database could not be reached (or the connection was
    lost), as opposed to a query that failed on a database that answers.

    Django wraps the driver's error and keeps it as ``__cause__``. psycopg raises its
    bare ``OperationalError`` (no SQLSTATE: the server never answered) when it cannot
    connect or the socket drops; a server that answers gives a SQLSTATE, and only the
    codes above mean the connection itself is gone. A deadlock, a cancelled statement or
    SQLite's "database is locked" are query errors: they stay 500s.
    """
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, InterfaceError):
            # Django's wrapper of psycopg's InterfaceError: "the connection is closed".
            return True
        if isinstance(error, OperationalError):
            cause = error.__cause__
            module = type(cause).__module__ or ""
            if module.startswith("psycopg"):
                sqlstate = getattr(cause, "sqlstate", None)
                return sqlstate is None or sqlstate.startswith(_CONNECTION_SQLSTATES)
            return False
        # An error raised while handling a lost connection (a rollback on a dead socket)
        # still comes from that loss.
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: the styled 503 page with ``Retry-After`` when the database is
    unreachable, the styled 500 page for anything else."""
    if database_unreachable(sys.exc_info()[1]):
        page = loader.get_template("503.html").render(
            {
                "retry_after": RETRY_AFTER_SECONDS,
                # A reload would send a form again, or be a GET where a POST was made.
                "can_reload": request.method in ("GET", "HEAD"),
            }
        )
        response = HttpResponse(page, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = HttpResponse(loader.get_template("500.html").render(), status=500)
    add_never_cache_headers(response)
    return response
