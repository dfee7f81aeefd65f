"""Keeps a team's local copy of its Jira tickets current.

One run, step by step:

1. Claim the connection's lease: a conditional UPDATE that succeeds only if no lease
   is held or the one held has expired. A worker killed mid-run keeps it until it
   expires (``LEASE``), then the next run may take over. Every page is written in a
   transaction that also renews the lease *if we still hold it*; a worker that lost
   its lease (paused, or its connection was edited) cannot write another page.
2. Ask Jira who we are (``/myself``): JQL date literals are read in that account's
   time zone, so the high-water mark is rendered in it, to the minute.
3. Data pass: ``(filter) AND updated >= "<mark - OVERLAP>" ORDER BY updated ASC, key
   ASC``. Each page is upserted by Jira id in bulk, in one transaction, skipping
   tickets whose ``updated`` is not newer than the stored one; the mark (largest
   ``updated`` stored) is saved in the same transaction, after the rows. The next
   page is read from Jira, in a thread, while this one is stored (``read_ahead``).
4. A full run (nightly at 03:00 team time, after the filter changed, or asked for)
   reads everything in scope, then lists the ids in scope (a cheap second pass that
   asks for one field, held in memory as ints) and marks the other local tickets gone.

Paging: after each page the query restarts from the minute of the page's last
ticket instead of asking for "page 2". A ticket updated while we page moves to the
end of the order; with offsets that shifts every later ticket back by one and one of
them would be skipped for good. Restarting also keeps Data Center far from its
10,000-result window. Only when a whole page shares one minute do we follow Jira's
own cursor (Cloud's ``nextPageToken``, Data Center's ``startAt``) within that minute.
Tickets seen twice are skipped as unchanged.

Failures: a 429 (or 503 with Retry-After) waits at least what Jira asked, then tries
again; 5xx, timeouts and garbled answers are retried with exponential backoff and
jitter; past those limits the run ends and the next one is scheduled. 401/403 and
setup errors (bad address, JQL refused) stop the syncs and flag the connection for a
lead. A ticket that does not read is skipped and recorded; the page still goes in.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import datetime, timedelta
from functools import partial
from typing import TypeVar

from django.conf import settings
from django.utils import timezone

from practices.jira.client import (
    JiraAuthError,
    JiraClient,
    JiraProblem,
    JiraRateLimited,
    JiraSetupError,
    SearchPage,
)
from practices.jira.crypto import TokenUnreadable, token_decrypt
from practices.jira.jql import jql_build, jql_split_order_by
from practices.jira.lease import Lease, LeaseLost, SyncBusy, lease_seconds, with_retries
from practices.jira.store import Counts, page_ids, page_read, store_page, tickets_mark_gone
from practices.jira.tickets import TICKET_FIELDS, jira_datetime
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# The mark is the newest ``updated`` we stored; a ticket saved in the same minute may
# still be on its way into Jira's index, so each run looks a few minutes further back.
OVERLAP = timedelta(minutes=3)
NIGHTLY_HOUR = 3  # team time
RUN_HISTORY = timedelta(days=14)
T = TypeVar("T")


# -- paging -------------------------------------------------------------------------


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _last_value(issues: list, name: str) -> datetime | None:
    for issue in reversed(issues):
        try:
            return jira_datetime(issue["fields"][name])
        except (KeyError, TypeError, ValueError):
            continue
    return None


def search_pages(
    client: JiraClient,
    *,
    where: str,
    order_field: str,
    since: datetime | None,
    zone_name: str | None,
    fields: tuple[str, ...],
    page_size: int = PAGE_SIZE,
    call: Callable[[Callable[[], SearchPage]], SearchPage] = lambda fetch: fetch(),
) -> Iterator[SearchPage]:
    """Every page of ``(where) AND order_field >= since``, oldest first (see module doc)."""
    window = since
    cursor: str | int | None = None
    while True:
        jql = jql_build(where=where, field=order_field, since=window, zone_name=zone_name)
        page = call(
            partial(client.search_page, jql=jql, fields=fields, cursor=cursor, page_size=page_size)
        )
        yield page
        if page.next_cursor is None:
            return
        last = _last_value(page.issues, order_field)
        if last is not None and (window is None or _minute(last) > _minute(window)):
            window, cursor = last, None
        else:
            cursor = page.next_cursor


_END = object()


def read_ahead(items: Iterator[T], *, keep_alive: Callable[[], None]) -> Iterator[T]:
    """What ``items`` yields, each read in a thread of its own while the one before is used.

    Jira prepares the next page while we store this one, so a sync takes about as long
    as the fetching alone, not fetching plus storing. Exactly one page is read ahead:
    page n+2 is asked for only once page n is stored, so memory stays at two pages and
    a page read ahead by a worker that dies is simply read again by the next run.
    ``keep_alive`` runs while we wait (a long Retry-After): only this thread touches the
    database.
    """
    handover: queue.Queue = queue.Queue(maxsize=1)
    wanted = threading.Semaphore(0)
    stop = threading.Event()

    def hand_over(item: object) -> bool:
        while not wanted.acquire(timeout=0.1):
            if stop.is_set():
                return False
        handover.put(item)  # one item per request: never waits
        return True

    def read() -> None:
        try:
            for item in items:
                if not hand_over(item):
                    return
            hand_over(_END)
        except BaseException as error:  # the consuming thread raises it
            hand_over(error)

    reader = threading.Thread(target=read, name="jira-read-ahead", daemon=True)
    reader.start()
    try:
        while True:
            wanted.release()
            while True:
                try:
                    item = handover.get(timeout=max(lease_seconds() / 3, 0.1))
                    break
                except queue.Empty:
                    keep_alive()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        reader.join(timeout=1.0)


# -- a run --------------------------------------------------------------------------


def full_sync_due(*, connection: JiraConnection, now: datetime) -> bool:
    """Due after the filter changed, and once a night: the first run after 03:00 team time."""
    if connection.full_sync_pending:
        return True
    local = now.astimezone(connection.team.tzinfo)
    anchor = local.replace(hour=NIGHTLY_HOUR, minute=0, second=0, microsecond=0)
    if local < anchor:
        anchor -= timedelta(days=1)
    return (connection.last_full_sync_at or connection.created_at) < anchor


def jira_client_for(connection: JiraConnection) -> JiraClient:
    return JiraClient(
        base_url=connection.base_url,
        deployment=connection.deployment,
        email=connection.email,
        token=token_decrypt(encrypted=connection.token_encrypted),
        timeout=(5.0, float(getattr(settings, "JIRA_TIMEOUT_SECONDS", 30))),
    )


def jira_sync(*, connection: JiraConnection, full: bool = False, trigger: str) -> JiraSyncRun:
    """Runs one sync of ``connection`` now, in this process; returns its record.

    Raises ``SyncBusy`` (and does nothing) while another sync holds the lease. Jira's
    failures do not raise: they end the run with an outcome and a message.
    """
    lease = Lease.claim(connection_id=connection.pk)
    if lease is None:
        raise SyncBusy(f"a sync of {connection.team.slug} is already running")
    try:
        return _sync(connection=connection, lease=lease, full=full, trigger=trigger)
    finally:
        lease.release()


def _sync(*, connection: JiraConnection, lease: Lease, full: bool, trigger: str) -> JiraSyncRun:
    connection.refresh_from_db()
    started = timezone.now()
    # Runs still "running" belong to workers that died: we hold the lease now.
    JiraSyncRun.objects.filter(connection=connection, outcome=JiraSyncOutcome.RUNNING).update(
        outcome=JiraSyncOutcome.INTERRUPTED,
        finished_at=started,
        error="The worker running this sync stopped before it finished; the next run "
        "picked up from the last page it stored.",
    )
    full = full or full_sync_due(connection=connection, now=started)
    run = JiraSyncRun.objects.create(
        connection=connection, full=full, trigger=trigger, started_at=started
    )
    counts = Counts()
    changes: dict[str, object] = {}
    wait = 0.0
    try:
        _passes(connection=connection, run=run, lease=lease, counts=counts, full=full)
    except LeaseLost:
        outcome = JiraSyncOutcome.INTERRUPTED
        error = "Stopped: the connection was changed, or another worker took over the sync."
    except (JiraAuthError, JiraSetupError, TokenUnreadable) as problem:
        outcome = JiraSyncOutcome.NEEDS_ATTENTION
        error = getattr(problem, "message", str(problem))
        changes = {"needs_attention": True, "attention_message": error[:500]}
        logger.warning("Jira sync of team %s needs attention: %s", connection.team.slug, error)
    except JiraRateLimited as problem:
        outcome, error = JiraSyncOutcome.RATE_LIMITED, problem.message
        wait = problem.retry_after or 0.0
    except JiraProblem as problem:
        outcome, error = JiraSyncOutcome.FAILED, problem.message
        logger.info("Jira sync of team %s failed: %s", connection.team.slug, error)
    except Exception as problem:
        _finish(run=run, counts=counts, outcome=JiraSyncOutcome.FAILED, error=_unexpected(problem))
        raise
    else:
        outcome = JiraSyncOutcome.PARTIAL if counts.skipped else JiraSyncOutcome.SUCCEEDED
        error = ""
        changes = {"last_success_at": timezone.now(), "needs_attention": False}
        changes["attention_message"] = ""
        if full:
            changes.update(last_full_sync_at=started, full_sync_pending=False)
    _finish(run=run, counts=counts, outcome=outcome, error=error)
    if outcome != JiraSyncOutcome.INTERRUPTED:
        interval = timedelta(minutes=connection.sync_interval_minutes)
        changes["next_sync_at"] = run.finished_at + max(interval, timedelta(seconds=wait))
        # If the connection was changed meanwhile, its new settings win.
        with suppress(LeaseLost):
            lease.hold(**changes)
    JiraSyncRun.objects.filter(connection=connection, started_at__lt=started - RUN_HISTORY).delete()
    return run


def _unexpected(problem: Exception) -> str:
    logger.exception("Jira sync failed unexpectedly")
    return f"Unexpected error ({type(problem).__name__}); the worker's log has the details."


def _finish(*, run: JiraSyncRun, counts: Counts, outcome: str, error: str) -> None:
    run.finished_at = timezone.now()
    run.outcome = outcome
    run.error = error
    for name, value in counts.as_fields().items():
        setattr(run, name, value)
    run.save()


def _passes(
    *, connection: JiraConnection, run: JiraSyncRun, lease: Lease, counts: Counts, full: bool
) -> None:
    retrying = partial(with_retries, lease=lease)
    with jira_client_for(connection) as client:
        retrying(client.connect)
        me = retrying(client.myself)
        zone = str(me.get("timeZone") or "")[:64]
        lease.hold(
            account_time_zone=zone,
            account_name=str(me.get("displayName") or me.get("emailAddress") or "")[:255],
        )
        where, _ = jql_split_order_by(connection.jql)
        mark = connection.high_water_mark
        since = None if full or mark is None else mark - OVERLAP
        pages = search_pages(
            client,
            where=where,
            order_field="updated",
            since=since,
            zone_name=zone,
            fields=TICKET_FIELDS,
            # In the reading thread, which does not touch the database: the lease is
            # kept by this thread while it waits for pages (see read_ahead).
            call=with_retries,
        )
        for page in read_ahead(pages, keep_alive=lease.keep):
            counts.fetched += len(page.issues)
            tickets = page_read(page.issues, base_url=client.base_url, counts=counts)
            mark = store_page(
                connection=connection,
                run=run,
                lease=lease,
                tickets=tickets,
                counts=counts,
                mark=mark,
            )
        if not full:
            return
        # Search never returns deleted tickets: list the ids in scope (one small field,
        # the one the pager orders by) and mark the local tickets not among them gone.
        in_scope: set[int] = set()
        for page in search_pages(
            client,
            where=where,
            order_field="created",
            since=None,
            zone_name=zone,
            fields=("created",),
            call=retrying,
        ):
            in_scope.update(page_ids(page.issues))
            lease.keep()
        counts.deleted = tickets_mark_gone(connection=connection, lease=lease, in_scope=in_scope)
