"""Storing what a Jira sync read: one page of tickets per transaction, and the gone ones.

Each page is upserted by Jira id in bulk, in one transaction, skipping tickets whose
``updated`` is not newer than the stored one; the mark (largest ``updated`` stored) is
saved in the same transaction, after the rows, while the lease is renewed: a sync that
lost its lease cannot write another page.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache

from django.db import transaction
from django.utils import timezone

from practices.jira.lease import Lease
from practices.jira.tickets import MalformedTicket, TicketData, ticket_from_json
from practices.models import JiraConnection, JiraSyncRun, JiraTicket

MAX_TICKET_ERRORS = 50
GONE_BATCH = 2000
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


def page_read(issues: list, *, base_url: str, counts: Counts) -> list[TicketData]:
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


def page_ids(issues: list) -> Iterator[int]:
    for issue in issues:
        try:
            yield int(issue["id"])
        except (KeyError, TypeError, ValueError):
            continue


def tickets_mark_gone(*, connection: JiraConnection, lease: Lease, in_scope: set[int]) -> int:
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
