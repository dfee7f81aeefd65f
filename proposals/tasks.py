"""Proposal work done by Celery: closing due votes, the emails around a decision, and
creating action items' tickets in Jira.

Each notification is queued through the outbox (``practices.outbox``): the task runs
under a lease on its outbox row, so two copies never send at once, and the row goes
only when the task is done. Each stamp (``mentions_notified_at``…) marks "sent" and is
set after the send, never before (``task_policies.send_then_stamp``): a worker killed
mid-send leaves it empty, and the copy the relay publishes once the lease has run out
(the hard time limit of ``MAIL_RETRY`` + 30 s, then the next relay tick) sends again,
with the same Message-ID. A copy that comes after a success finds the row gone, or the
stamp set, and sends nothing.
"""

from celery import shared_task
from celery.utils.time import get_exponential_backoff_interval
from django.utils import timezone

from practices.jira.client import JiraTransientError
from practices.outbox.services import outbox_enqueue
from practices.task_policies import MAIL_RETRY, send_then_stamp
from proposals import emails
from proposals.models import JIRA_CLAIM_STALE_AFTER, Comment, Proposal, Status
from proposals.services.action_items import ClaimBusy, action_item_jira_push
from proposals.services.proposals import proposals_close_due


@shared_task
def close_due_proposals() -> int:
    return proposals_close_due()


@shared_task(**MAIL_RETRY)
def notify_approver_to_decide(proposal_id: int) -> None:
    proposal = Proposal.objects.select_related("team", "approver").filter(pk=proposal_id).first()
    # Deciding closes voting too: an approver who has just decided is not asked to.
    if proposal is None or proposal.status != Status.OPEN:
        return
    send_then_stamp(
        # Stamped only for this close: after a reopen and a new close, a late copy of
        # this task must not mark the new request sent.
        queryset=Proposal.objects.filter(
            pk=proposal_id, status=Status.OPEN, voting_closed_at=proposal.voting_closed_at
        ),
        field="close_notified_at",
        send=lambda: emails.approver_asked_to_decide(proposal=proposal),
    )


@shared_task(**MAIL_RETRY)
def notify_outcome(proposal_id: int) -> None:
    proposal = (
        Proposal.objects.select_related("team", "chosen_option", "decided_by")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        return
    send_then_stamp(
        queryset=Proposal.objects.filter(pk=proposal_id),
        field="outcome_notified_at",
        send=lambda: emails.outcome_to_involved(proposal=proposal),
    )


@shared_task(**MAIL_RETRY)
def notify_mentions(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("proposal__team", "author").filter(pk=comment_id).first()
    )
    if comment is None:
        return
    send_then_stamp(
        queryset=Comment.objects.filter(pk=comment_id),
        field="mentions_notified_at",
        send=lambda: emails.mentions(comment=comment),
    )


@shared_task
def remind_decision_reviews() -> int:
    """Reminds drivers of decisions whose review date has come, once per decision."""
    due = Proposal.objects.filter(
        status="decided", review_on__lte=timezone.localdate(), review_reminded_at__isnull=True
    ).values_list("pk", flat=True)
    # Through the outbox, keyed: an hourly run while one waits or runs adds nothing.
    for pk in due:
        outbox_enqueue(task=remind_decision_review, args=[pk], key=f"review-due:{pk}")
    return len(due)


@shared_task(**MAIL_RETRY)
def remind_decision_review(proposal_id: int) -> None:
    proposal = Proposal.objects.select_related("team", "driver").filter(pk=proposal_id).first()
    if proposal is None:
        return
    send_then_stamp(
        queryset=Proposal.objects.filter(pk=proposal_id),
        field="review_reminded_at",
        send=lambda: emails.decision_review_due(proposal=proposal),
    )


# A Jira POST is not idempotent: each try first looks for the ticket by its marker. So
# every retry waits at least JIRA_RETRY_MIN_WAIT, for Jira's search to see a ticket a lost
# try made, plus an exponential backoff with full jitter (what autoretry's retry_jitter
# gives, which alone may wait ~0 s). Waits stay under the claim's staleness window, so an
# item waiting for its next try does not look abandoned; the time limit keeps a live try
# well inside it too.
JIRA_RETRY_MIN_WAIT = 15
JIRA_RETRY = {
    "retry_backoff": 30,
    "retry_backoff_max": 5 * 60,
    "max_retries": 6,
    "soft_time_limit": 3 * 60,
    "time_limit": 4 * 60,
}


@shared_task(bind=True, **JIRA_RETRY)
def create_action_item_in_jira(self, item_id: int) -> str:
    """Creates an action item's Jira ticket, or links the one an earlier try created."""
    last_try = self.request.retries >= self.max_retries
    try:
        return action_item_jira_push(item_id=item_id, last_try=last_try)
    except ClaimBusy as busy:
        if last_try:
            return "busy"
        # Another delivery holds the claim; if its worker died, the claim goes stale.
        seconds = JIRA_CLAIM_STALE_AFTER.total_seconds() + 30
        raise self.retry(exc=busy, countdown=seconds) from None
    except JiraTransientError as problem:
        # 5xx, timeouts, 429 (not raised on the last try: the item is marked failed).
        backoff = get_exponential_backoff_interval(
            factor=self.retry_backoff,
            retries=self.request.retries,
            maximum=self.retry_backoff_max,
            full_jitter=True,
        )
        wait = max(getattr(problem, "retry_after", None) or 0, JIRA_RETRY_MIN_WAIT + backoff)
        raise self.retry(exc=problem, countdown=wait) from None
