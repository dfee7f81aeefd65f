"""Action items of a decision sent to Jira: queued by a person, created once by a worker.

How a ticket is never created twice:

1. The button moves the item to "queued" with a conditional UPDATE (only from "none" or
   "failed", or from a claim abandoned for ``JIRA_CLAIM_STALE_AFTER``) and queues the
   task on commit. A second press finds it queued and queues nothing.
2. The task claims it with another conditional UPDATE (queued → creating, or a stale
   "creating" whose worker died). Two deliveries of the task: one claims, the other
   sees a fresh claim and looks again later.
3. Before creating, the worker asks Jira for a ticket carrying the item's marker label
   (set on the first press, never changed). A run that died after Jira created the
   ticket but before we stored its key finds that ticket and links it.
4. The result is written only while the claim is still ours; the database refuses a
   "created" without a key and one ticket linked to two items.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from practices.jira.client import JiraProblem, JiraSetupError, JiraTransientError
from practices.jira.crypto import TokenUnreadable
from practices.jira.selectors import jira_project_for_new_tickets
from practices.jira.services import CreatedIssue, jira_issue_create
from practices.models import JiraConnection, Membership
from practices.outbox.services import outbox_enqueue
from proposals.models import (
    JIRA_CLAIM_STALE_AFTER,
    JIRA_PENDING,
    ActionItem,
    JiraState,
    Proposal,
    Status,
)
from proposals.selectors.access import can_send_action_items_to_jira
from proposals.services.inputs import ActionItemInput

logger = logging.getLogger(__name__)

ISSUE_TYPE = "Task"
ONLY_LEADS_DRIVER_APPROVER = "Only a lead, the driver or the approver sends action items to Jira."


def _stale(now) -> Q:
    return Q(jira_state__in=JIRA_PENDING) & Q(jira_claimed_at__lt=now - JIRA_CLAIM_STALE_AFTER)


@transaction.atomic
def action_item_jira_create(*, item: ActionItem, user: AbstractBaseUser) -> ActionItem:
    """Queues the creation of the item's Jira ticket; returns the item as it now stands.

    Safe to call twice: an item already queued, being created or created is left
    alone, and nothing more is queued. A failed one, or one whose worker died, is
    queued again with the same marker, so a ticket created by the lost attempt is
    linked rather than duplicated. Jira is not contacted here.
    """
    proposal = item.proposal
    membership = Membership.objects.filter(team=proposal.team_id, user=user).first()
    if not can_send_action_items_to_jira(membership=membership, proposal=proposal):
        raise PermissionDenied(ONLY_LEADS_DRIVER_APPROVER)
    if proposal.status != Status.DECIDED:
        raise ValidationError("Only the action items of a decided proposal go to Jira.")
    if not JiraConnection.objects.filter(team=proposal.team_id).exists():
        raise ValidationError("Connect the team's Jira site first.")
    now = timezone.now()
    ActionItem.objects.filter(pk=item.pk, jira_marker="").update(
        jira_marker=f"teamlead-ai-{item.pk}-{secrets.token_hex(4)}"
    )
    queued = (
        ActionItem.objects.filter(pk=item.pk)
        .filter(Q(jira_state__in=[JiraState.NONE, JiraState.FAILED]) | _stale(now))
        .update(jira_state=JiraState.QUEUED, jira_claimed_at=now, jira_error="")
    )
    if queued:
        outbox_enqueue(task="proposals.tasks.create_action_item_in_jira", args=[item.pk])
    item.refresh_from_db()
    return item


def action_items_create(*, proposal: Proposal, items: Sequence[ActionItemInput]) -> None:
    """The decision's action items, those with a text; none goes to Jira until asked."""
    ActionItem.objects.bulk_create(
        ActionItem(proposal=proposal, text=item.text, owner=item.owner, due_on=item.due_on)
        for item in items
        if item.text.strip()
    )


class ClaimBusy(Exception):
    """Another worker holds a fresh claim on the item; look again when it could be stale."""


def action_item_jira_push(*, item_id: int, last_try: bool = False) -> str:
    """Creates (or finds) the item's Jira ticket and links it; what the task runs.

    Returns what happened: "created", "linked" (found by its marker), "failed", or
    "skipped" (gone, not queued, or done already). Raises ``ClaimBusy`` when another
    worker holds the item, and ``JiraTransientError`` for a try worth repeating,
    unless ``last_try``, when the item is marked failed instead.
    """
    now = timezone.now()
    claimed = (
        ActionItem.objects.filter(pk=item_id)
        .filter(Q(jira_state=JiraState.QUEUED) | _stale(now))
        .update(jira_state=JiraState.CREATING, jira_claimed_at=now)
    )
    if not claimed:
        state = ActionItem.objects.filter(pk=item_id).values_list("jira_state", flat=True).first()
        if state == JiraState.CREATING:
            raise ClaimBusy(f"action item {item_id} is being created by another worker")
        return "skipped"
    mine = ActionItem.objects.filter(pk=item_id, jira_state=JiraState.CREATING, jira_claimed_at=now)
    item = ActionItem.objects.select_related("proposal__team", "owner").get(pk=item_id)
    connection = JiraConnection.objects.filter(team=item.proposal.team_id).first()
    try:
        if connection is None:
            raise JiraSetupError(
                "The team's Jira site was disconnected. Connect it, then try again."
            )
        project = jira_project_for_new_tickets(connection=connection)
        if not project:
            raise JiraSetupError(
                "Teamlead does not know which Jira project to create the ticket in: make "
                "the team's Jira filter name one, e.g. project = PAY."
            )
        issue = jira_issue_create(
            connection=connection,
            project_key=project,
            issue_type=ISSUE_TYPE,
            summary=item.text,
            description=action_item_jira_description(item=item),
            assignee_email=item.owner.email if item.owner else "",
            marker_label=item.jira_marker,
        )
    except JiraTransientError as problem:
        if not last_try:
            # Queued again for the retry; a ticket this try may have created is found
            # by its marker then.
            mine.update(jira_state=JiraState.QUEUED, jira_claimed_at=timezone.now())
            raise
        return _fail(mine, item, f"{problem.message} Teamlead gave up trying; try again later.")
    except JiraProblem as problem:
        return _fail(mine, item, problem.message)
    except TokenUnreadable as problem:
        return _fail(mine, item, str(problem))
    except Exception:
        _fail(mine, item, "Something went wrong on Teamlead's side. Try again later.")
        raise
    return _link(item=item, issue=issue, claimed_at=now)


def _fail(mine, item: ActionItem, message: str) -> str:
    mine.update(jira_state=JiraState.FAILED, jira_error=message[:500], jira_claimed_at=None)
    logger.warning("Action item %s not created in Jira: %s", item.pk, message)
    return "failed"


def _link(*, item: ActionItem, issue: CreatedIssue, claimed_at) -> str:
    stored = (
        ActionItem.objects.filter(pk=item.pk)
        .exclude(jira_state=JiraState.CREATED)
        .update(
            jira_state=JiraState.CREATED,
            jira_key=issue.key,
            jira_id=issue.jira_id,
            jira_url=issue.url,
            jira_error="",
            jira_claimed_at=None,
        )
    )
    if not stored:
        # Someone linked it meanwhile: only possible if this worker outlived its claim.
        linked = ActionItem.objects.filter(pk=item.pk).values_list("jira_key", flat=True).first()
        if linked != issue.key:
            logger.error(
                "Action item %s is linked to %s; %s (claimed at %s) is a duplicate.",
                item.pk,
                linked,
                issue.key,
                claimed_at,
            )
        return "skipped"
    return "linked" if issue.existed else "created"


def action_item_jira_description(*, item: ActionItem) -> str:
    """The ticket's text: where it comes from, who owns it, by when, and a link back."""
    proposal = item.proposal
    lines = [f"Action item of {proposal.code} “{proposal.title}”{_decided_on(proposal)}."]
    details = []
    if item.owner:
        name, email = item.owner.get_full_name(), item.owner.email
        details.append(f"Owner: {name} ({email})" if name else f"Owner: {email}")
    if item.due_on:
        details.append(f"Due: {_day(item.due_on)}")
    if details:
        lines.append(". ".join(details) + ".")
    link = f"{settings.SITE_URL}{proposal.get_absolute_url()}"
    lines.append(f"The decision and its rationale: {link}")
    return "\n\n".join(lines)


def _decided_on(proposal) -> str:
    if proposal.decided_at is None:
        return ""
    return f", decided on {_day(timezone.localtime(proposal.decided_at, proposal.team.tzinfo))}"


def _day(day) -> str:
    return f"{day.day} {day:%b %Y}"
