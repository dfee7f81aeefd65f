"""Writes about Jira: the connection, sync requests and planning, creating tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from practices.jira.client import JiraClient, JiraProblem, JiraSetupError
from practices.jira.crypto import TokenUnreadable, token_decrypt, token_encrypt
from practices.jira.jql import jql_build, jql_split_order_by
from practices.jira.sync import jira_client_for
from practices.jira.tickets import ticket_url
from practices.models import JiraConnection, Team
from practices.outbox.services import outbox_enqueue

# A lead waits for "Test connection": fail faster than a background sync would.
TEST_TIMEOUT = (5.0, 15.0)
_LABEL = re.compile(r"[A-Za-z0-9_.-]{1,100}")
# Asked for by name: the tasks module sits above these services and imports them.
SYNC_TASK = "practices.tasks.sync_jira_connection"


@transaction.atomic
def jira_connection_save(
    *,
    team: Team,
    base_url: str,
    deployment: str,
    email: str,
    token: str,
    jql: str,
    sync_interval_minutes: int,
) -> JiraConnection:
    """Connects the team's Jira site, or changes its connection; queues a sync.

    An empty ``token`` keeps the saved one, but never for another site or deployment:
    a saved token is only ever sent where it was entered. Another site drops the local
    tickets (Jira ids mean nothing elsewhere); another filter makes the next sync a
    full one, so tickets that left the filter are marked gone. Any change takes the
    lease from a sync in progress, which then stops without writing another page.
    """
    base_url = base_url.rstrip("/")
    connection = JiraConnection.objects.select_for_update().filter(team=team).first()
    if connection is None:
        connection = JiraConnection(team=team, created_at=timezone.now())
        site_changed = filter_changed = True
    else:
        site_changed = (base_url, deployment) != (connection.base_url, connection.deployment)
        filter_changed = jql != connection.jql
    if not token and (connection.pk is None or site_changed):
        message = (
            "Enter the API token."
            if connection.pk is None
            else "Enter the token again: a saved token is never sent to another site."
        )
        raise ValidationError({"token": message})
    if site_changed and connection.pk is not None:
        connection.tickets.all().delete()
        connection.account_name = connection.account_time_zone = ""
        connection.last_success_at = connection.last_full_sync_at = None
    if site_changed or filter_changed:
        connection.high_water_mark = None
        connection.full_sync_pending = connection.pk is not None
    connection.base_url = base_url
    connection.deployment = deployment
    connection.email = email
    if token:
        connection.token_encrypted = token_encrypt(token=token)
    connection.jql = jql
    connection.sync_interval_minutes = sync_interval_minutes
    connection.needs_attention = False
    connection.attention_message = ""
    connection.lease_token = ""
    connection.lease_expires_at = None
    connection.next_sync_at = timezone.now()
    connection.save()
    outbox_enqueue(task=SYNC_TASK, args=[connection.pk], kwargs={"trigger": "lead"})
    return connection


@transaction.atomic
def jira_connection_delete(*, connection: JiraConnection) -> None:
    """Forgets the site, its token and the local tickets; a running sync stops."""
    connection.delete()


@transaction.atomic
def jira_review_statuses_save(*, connection: JiraConnection, statuses: list[str]) -> None:
    connection.review_statuses = sorted(set(statuses))
    connection.save(update_fields=["review_statuses"])


@transaction.atomic
def jira_sync_request(*, connection: JiraConnection) -> None:
    """A sync as soon as a worker is free; also resumes syncs paused for attention."""
    JiraConnection.objects.filter(pk=connection.pk).update(
        needs_attention=False, attention_message="", next_sync_at=timezone.now()
    )
    outbox_enqueue(task=SYNC_TASK, args=[connection.pk], kwargs={"trigger": "lead"})


@transaction.atomic
def jira_sync_plan(*, now: datetime | None = None) -> list[int]:
    """Claims every connection whose sync is due; returns their ids for the caller to queue.

    Each is claimed by moving its ``next_sync_at`` with a conditional UPDATE, so two
    planners (a second beat by mistake) never queue the same connection twice.
    Connections waiting for a lead, or with a sync in progress, are left alone.
    """
    now = now or timezone.now()
    due = (
        JiraConnection.objects.filter(needs_attention=False)
        .filter(Q(next_sync_at__isnull=True) | Q(next_sync_at__lte=now))
        .filter(Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now))
        .values_list("pk", "next_sync_at", "sync_interval_minutes")
    )
    claimed_ids = []
    for pk, seen, minutes in due:
        unchanged = Q(next_sync_at__isnull=True) if seen is None else Q(next_sync_at=seen)
        claimed = JiraConnection.objects.filter(unchanged, pk=pk).update(
            next_sync_at=now + timedelta(minutes=minutes)
        )
        if claimed:
            claimed_ids.append(pk)
    return claimed_ids


@dataclass
class ConnectionCheck:
    """What "Test connection" found, one plain sentence per step."""

    ok: bool = True
    lines: list[tuple[bool, str]] = field(default_factory=list)

    def passed(self, text: str) -> None:
        self.lines.append((True, text))

    def failed(self, text: str) -> ConnectionCheck:
        self.ok = False
        self.lines.append((False, text))
        return self


def jira_connection_test(
    *,
    connection: JiraConnection | None,
    base_url: str,
    deployment: str,
    email: str,
    token: str,
    jql: str,
) -> ConnectionCheck:
    """Checks the address, the credentials and the filter against Jira; changes nothing.

    Without ``token``, the saved one is used, but only for the site it was saved for.
    """
    check = ConnectionCheck()
    if not token:
        saved_for = (connection.base_url, connection.deployment) if connection else None
        if saved_for != (base_url.rstrip("/"), deployment):
            return check.failed(
                "Enter the API token: a saved token is only sent to the site it was saved for."
            )
        try:
            token = token_decrypt(encrypted=connection.token_encrypted)
        except TokenUnreadable as problem:
            return check.failed(str(problem))
    client = JiraClient(
        base_url=base_url, deployment=deployment, email=email, token=token, timeout=TEST_TIMEOUT
    )
    with client:
        try:
            server = client.connect()
        except JiraProblem as problem:
            return check.failed(problem.message)
        check.passed(f"Found {_describe(server)} at {client.host}.")
        try:
            me = client.myself()
        except JiraProblem as problem:
            return check.failed(problem.message)
        who = me.get("displayName") or me.get("emailAddress") or "the account"
        zone = me.get("timeZone") or "an unknown time zone"
        check.passed(f"Signed in as {who}; Jira reads its dates in {zone}.")
        where, _ = jql_split_order_by(jql)
        try:
            page = client.search_page(
                jql=jql_build(where=where, field="updated"), fields=("summary",), page_size=1
            )
        except JiraProblem as problem:
            return check.failed(problem.message)
    if page.total is not None:
        check.passed(f"The filter matches {page.total:,} ticket{'s' if page.total != 1 else ''}.")
    elif page.issues:
        check.passed("The filter works and matches tickets.")
    else:
        check.passed("The filter works, but matches no tickets yet.")
    return check


def _describe(server: dict) -> str:
    kind = "Jira Cloud" if server.get("deploymentType") == "Cloud" else "Jira Data Center"
    version = server.get("version")
    return f"{kind} {version}" if version and kind != "Jira Cloud" else kind


@dataclass(frozen=True)
class CreatedIssue:
    jira_id: str
    key: str
    url: str
    # Found by its marker label: an earlier run had created it.
    existed: bool = False


def jira_issue_create(
    *,
    connection: JiraConnection,
    project_key: str,
    summary: str,
    description: str,
    assignee_email: str = "",
    issue_type: str = "Task",
    marker_label: str = "",
) -> CreatedIssue:
    """Creates a ticket in the team's Jira, assigned to whoever ``assignee_email`` is there.

    With ``marker_label`` (a label unique to what the ticket is for), a ticket that
    already carries it is returned instead of creating another: a task that runs twice,
    or retries after Jira created the ticket but the answer was lost, does not create a
    duplicate. An email Jira does not know, or a person Jira will not assign, leaves the
    ticket unassigned. Raises ``JiraProblem`` (and ``TokenUnreadable``).
    """
    if marker_label and not _LABEL.fullmatch(marker_label):
        raise ValueError(f"{marker_label!r} is not a usable Jira label")
    with jira_client_for(connection) as client:
        if marker_label:
            found = client.search_page(
                jql=f'labels = "{marker_label}" ORDER BY created ASC',
                fields=("summary",),
                page_size=1,
            )
            if found.issues:
                issue = found.issues[0]
                return CreatedIssue(
                    jira_id=str(issue.get("id", "")),
                    key=str(issue["key"]),
                    url=ticket_url(client.base_url, str(issue["key"])),
                    existed=True,
                )
        assignee = client.user_find(email=assignee_email) if assignee_email else ""
        values = {
            "project_key": project_key,
            "issue_type": issue_type,
            "summary": summary[:255],
            "description": description,
            "labels": [marker_label] if marker_label else None,
        }
        try:
            jira_id, key = client.issue_create(**values, assignee_account_id=assignee)
        except JiraSetupError as problem:
            # Found, but not assignable in this project: better unassigned than not at all.
            if not (assignee and problem.status == 400 and "assignee" in problem.fields):
                raise
            jira_id, key = client.issue_create(**values)
    return CreatedIssue(jira_id=jira_id, key=key, url=ticket_url(client.base_url, key))
