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

import json
import logging
import queue
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache, partial
from typing import TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone

from practices.jira.client import (
    JiraAuthError,
    JiraClient,
    JiraProblem,
    JiraRateLimited,
    JiraSetupError,
    JiraTransientError,
    SearchPage,
)
from practices.jira.crypto import TokenUnreadable, token_decrypt
from practices.jira.jql import jql_build, jql_split_order_by
from practices.jira.tickets import (
    TICKET_FIELDS,
    MalformedTicket,
    TicketData,
    jira_datetime,
    ticket_from_json,
)
from practices.models import JiraConnection, JiraSyncOutcome, JiraSyncRun, JiraTicket

logger = logging.getLogger(__name__)

PAGE_SIZE = 100
# The mark is the newest ``updated`` we stored; a ticket saved in the same minute may
# still be on its way into Jira's index, so each run looks a few minutes further back.
OVERLAP = timedelta(minutes=3)
NIGHTLY_HOUR = 3  # team time
RATE_LIMIT_WAITS = 5  # per request
TRANSIENT_RETRIES = 3  # per request
MAX_WAIT_SECONDS = 60.0  # a longer Retry-After ends the run; the next is scheduled after it
MAX_TICKET_ERRORS = 50
GONE_BATCH = 2000
RUN_HISTORY = timedelta(days=14)
# Copied from what Jira sent as they are (``TicketData`` has the same names).
TICKET_COLUMNS = (
    "key",
    "summary",
    "issue_type",
    "status",
    "status_category",
    "priority",
    "assignee_account_id",
    "assignee_name",
    "reporter_account_id",
    "reporter_name",
    "labels",
    "components",
    "created",
    "updated",
    "resolved",
    "url",
)
UPDATED_FIELDS = [*TICKET_COLUMNS, "status_entered_at", "gone", "synced_at"]

T = TypeVar("T")


class SyncBusy(Exception):
    """Another sync of this connection holds the lease."""


class LeaseLost(Exception):
    """Our lease expired and someone else holds it now, or the connection changed."""


def lease_seconds() -> float:
    return float(getattr(settings, "JIRA_SYNC_LEASE_SECONDS", 120))


def retry_base_seconds() -> float:
    return float(getattr(settings, "JIRA_RETRY_BASE_SECONDS", 1.0))


# -- the lease ----------------------------------------------------------------------


@dataclass
class Lease:
    connection_id: int
    token: str
    held_at: float = field(default_factory=time.monotonic)

    @classmethod
    def claim(cls, *, connection_id: int) -> Lease | None:
        """The lease, if nobody holds it or its holder let it expire; else None.

        Times come from the database's clock, the one clock every worker shares.
        """
        token = secrets.token_hex(16)
        claimed = (
            JiraConnection.objects.filter(pk=connection_id)
            .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=Now()))
            .update(lease_token=token, lease_expires_at=Now() + timedelta(seconds=lease_seconds()))
        )
        return cls(connection_id=connection_id, token=token) if claimed else None

    def hold(self, *, extra_seconds: float = 0.0, **changes) -> None:
        """Renews the lease (and writes ``changes``) only while we hold it; else LeaseLost.

        Inside a page's transaction this is the fence: a lost lease rolls the page back.
        """
        expires = Now() + timedelta(seconds=lease_seconds() + extra_seconds)
        held = JiraConnection.objects.filter(pk=self.connection_id, lease_token=self.token).update(
            lease_expires_at=expires, **changes
        )
        if not held:
            raise LeaseLost("another sync took over this connection, or it was changed")
        self.held_at = time.monotonic()

    def keep(self) -> None:
        """Renews the lease once a third of it has passed: often enough, and no more."""
        if time.monotonic() - self.held_at >= lease_seconds() / 3:
            self.hold()

    def release(self) -> None:
        JiraConnection.objects.filter(pk=self.connection_id, lease_token=self.token).update(
            lease_token="", lease_expires_at=None
        )


# -- retries ------------------------------------------------------------------------


def _backoff(attempt: int) -> float:
    """Exponential, with "equal jitter": between half and all of base * 2^attempt."""
    cap = retry_base_seconds() * 2**attempt
    return random.uniform(cap / 2, cap)  # noqa: S311 - timing jitter, not a secret


def with_retries(call: Callable[[], T], *, lease: Lease | None = None) -> T:
    """``call()``, waiting and trying again on rate limits and passing failures."""
    rate_limited = failed = 0
    while True:
        try:
            return call()
        except JiraRateLimited as error:
            wait = error.retry_after if error.retry_after is not None else _backoff(rate_limited)
            if rate_limited >= RATE_LIMIT_WAITS or wait > MAX_WAIT_SECONDS:
                raise
            rate_limited += 1
            # Never less than Jira asked; a little more so that teams sharing a site
            # do not all come back in the same instant.
            wait += random.uniform(0, 0.1 * wait + 0.1)  # noqa: S311
        except JiraTransientError:
            if failed >= TRANSIENT_RETRIES:
                raise
            wait = _backoff(failed)
            failed += 1
        if lease is not None:
            lease.hold(extra_seconds=wait)
        time.sleep(wait)


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


# -- storing ------------------------------------------------------------------------


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    skipped: int = 0
    ticket_errors: list[dict[str, str]] = field(default_factory=list)

    def as_fields(self) -> dict[str, object]:
        return {
            "fetched": self.fetched,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "deleted": self.deleted,
            "skipped": self.skipped,
            "ticket_errors": self.ticket_errors,
        }


def _read_page(issues: list, *, base_url: str, counts: Counts) -> list[TicketData]:
    tickets: dict[int, TicketData] = {}
    for raw in issues:
        try:
            ticket = ticket_from_json(raw, base_url=base_url)
        except MalformedTicket as error:
            counts.skipped += 1
            if len(counts.ticket_errors) < MAX_TICKET_ERRORS:
                counts.ticket_errors.append({"ticket": error.ticket, "error": error.problem})
            continue
        seen = tickets.get(ticket.jira_id)
        if seen is None or ticket.updated >= seen.updated:
            tickets[ticket.jira_id] = ticket
    return list(tickets.values())


def _commit_without_waiting_for_disk() -> None:
    """PostgreSQL: this transaction's commit returns before its WAL reaches the disk.

    A database crash may then lose the last pages stored, but never half of one: the
    rows and the mark that stands for them commit together, and the next run fetches
    them again from the mark that survived. Saves a disk flush per page.
    """
    db = transaction.get_connection()
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")


def _upsert(*, connection_id: int, rows: list[tuple[TicketData, datetime]], now: datetime) -> None:
    """Inserts or overwrites the (ticket, status entered at) rows, by Jira id, in one query."""
    db = transaction.get_connection()
    if db.vendor == "postgresql":
        arrays = [[ticket.jira_id for ticket, _ in rows]]
        for name in TICKET_COLUMNS:
            values = [getattr(ticket, name) for ticket, _ in rows]
            arrays.append([json.dumps(v) for v in values] if name == "components" else values)
        arrays.append([entered for _, entered in rows])
        with db.cursor() as cursor:
            cursor.execute(_unnest_upsert_sql(), [connection_id, now, *arrays])
        return
    JiraTicket.objects.bulk_create(
        [
            JiraTicket(
                connection_id=connection_id,
                jira_id=ticket.jira_id,
                **{name: getattr(ticket, name) for name in TICKET_COLUMNS},
                status_entered_at=entered,
                gone=False,
                synced_at=now,
            )
            for ticket, entered in rows
        ],
        update_conflicts=True,
        unique_fields=["connection", "jira_id"],
        update_fields=UPDATED_FIELDS,
    )


@cache
def _unnest_upsert_sql() -> str:
    """PostgreSQL: ``INSERT … SELECT … FROM unnest(one array per column) ON CONFLICT …``.

    One parameter per column instead of one per value: the statement stays short and
    the same for every page, where bulk_create's carries 2,000 parameters that Django
    prepares and psycopg quotes one by one (``bench/jira_sync.py`` measures the sync).
    """
    db = transaction.get_connection()
    quote = db.ops.quote_name
    meta = JiraTicket._meta
    names = ["jira_id", *TICKET_COLUMNS, "status_entered_at"]
    columns = {name: quote(meta.get_field(name).column) for name in names}
    # Text for text and JSON alike: the insert's own assignment casts check the lengths.
    array_types = {"BigIntegerField": "bigint[]", "DateTimeField": "timestamptz[]"}
    arrays = ", ".join(
        f"%s::{array_types.get(meta.get_field(name).get_internal_type(), 'text[]')}"
        for name in names
    )
    selected = ", ".join(
        f"u.{column}::jsonb" if name == "components" else f"u.{column}"
        for name, column in columns.items()
    )
    updated = ", ".join(
        f"{quote(meta.get_field(name).column)} = EXCLUDED.{quote(meta.get_field(name).column)}"
        for name in UPDATED_FIELDS
    )
    target = ", ".join(
        [quote("connection_id"), *columns.values(), quote("gone"), quote("synced_at")]
    )
    unique = f"{quote('connection_id')}, {quote('jira_id')}"
    # Only quoted identifiers of our own model go into the text; every value is a parameter
    # (hence the noqa and nosec below: no user input is formatted into the statement).
    return (
        f"INSERT INTO {quote(meta.db_table)} ({target}) SELECT %s, {selected}, false, %s "  # noqa: S608  # nosec B608
        f"FROM unnest({arrays}) AS u({', '.join(columns.values())}) "
        f"ON CONFLICT ({unique}) DO UPDATE SET {updated}"
    )


def store_page(
    *,
    connection: JiraConnection,
    run: JiraSyncRun,
    lease: Lease,
    tickets: list[TicketData],
    counts: Counts,
    mark: datetime | None,
) -> datetime | None:
    """Upserts one page in one transaction, then records the new mark; returns it."""
    now = timezone.now()
    with transaction.atomic():
        _commit_without_waiting_for_disk()
        stored = {
            jira_id: (updated, status, entered, gone)
            for jira_id, updated, status, entered, gone in JiraTicket.objects.filter(
                connection_id=connection.pk, jira_id__in=[t.jira_id for t in tickets]
            ).values_list("jira_id", "updated", "status", "status_entered_at", "gone")
        }
        rows: list[tuple[TicketData, datetime]] = []
        for ticket in tickets:
            old = stored.get(ticket.jira_id)
            if old is None:
                counts.created += 1
                # Jira tells when the status *category* last changed; the best start we have.
                entered = ticket.status_category_changed or ticket.created
            elif old[3] or ticket.updated > old[0]:
                counts.updated += 1
                # A new status entered with this change (or one of the changes since we
                # looked): the update time is its latest possible start.
                entered = old[2] if old[1] == ticket.status else ticket.updated
            else:
                counts.unchanged += 1
                continue
            rows.append((ticket, entered))
        if rows:
            _upsert(connection_id=connection.pk, rows=rows, now=now)
        for ticket in tickets:
            if mark is None or ticket.updated > mark:
                mark = ticket.updated
        # Last: the mark moves only together with the rows it stands for.
        lease.hold(high_water_mark=mark)
        JiraSyncRun.objects.filter(pk=run.pk).update(**counts.as_fields())
    return mark


def _ids(issues: list) -> Iterator[int]:
    for issue in issues:
        try:
            yield int(issue["id"])
        except (KeyError, TypeError, ValueError):
            continue


def _mark_gone(*, connection: JiraConnection, lease: Lease, in_scope: set[int]) -> int:
    """Marks gone the local tickets whose ids Jira no longer lists in scope; returns how many.

    The ids in scope are held in memory (an int each, not the tickets): marking each
    ticket "seen" in the database instead rewrote every row on every full sync.
    """
    local = (
        JiraTicket.objects.filter(connection_id=connection.pk, gone=False)
        .values_list("jira_id", flat=True)
        .iterator(chunk_size=GONE_BATCH)
    )
    gone = [jira_id for jira_id in local if jira_id not in in_scope]
    with transaction.atomic():
        for start in range(0, len(gone), GONE_BATCH):
            JiraTicket.objects.filter(
                connection_id=connection.pk, jira_id__in=gone[start : start + GONE_BATCH]
            ).update(gone=True)
        lease.hold()
    return len(gone)


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
            tickets = _read_page(page.issues, base_url=client.base_url, counts=counts)
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
            in_scope.update(_ids(page.issues))
            lease.keep()
        counts.deleted = _mark_gone(connection=connection, lease=lease, in_scope=in_scope)
