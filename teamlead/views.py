"""Pages that belong to no single app: the health check."""

import logging

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from practices.reminders.heartbeat import heartbeat_stale_since

logger = logging.getLogger(__name__)

BROKER_TIMEOUT = 3  # seconds: a health probe must answer before its own timeout


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return "ok"


def _check_broker() -> str:
    from teamlead.celery import app

    with app.connection_for_write() as broker:
        broker.ensure_connection(max_retries=1, interval_start=0, timeout=BROKER_TIMEOUT)
    return "ok"


def _check_scheduler() -> str:
    since = heartbeat_stale_since()
    if since is None:
        return "ok"
    return f"error: beat has not ticked since {since.isoformat()}"


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database and the broker answer and beat ticked within 15 minutes;
    503 naming the failing checks otherwise."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("broker", _check_broker),
        ("scheduler", _check_scheduler),
    ):
        if name == "scheduler" and checks["database"] != "ok":
            checks[name] = "unknown: the database is unreachable"
            continue
        try:
            checks[name] = check()
        except Exception as error:
            logger.exception("health check: %s failing", name)
            checks[name] = f"error: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", **checks}, status=200 if healthy else 503
    )
