"""Proposal work done by Celery: closing due votes and the emails around a decision.

Each notification is claimed with a conditional UPDATE before it is sent and released if
sending fails, so a task delivered twice sends once and a failed send is retried.
"""

import smtplib

from celery import shared_task
from django.db.models import QuerySet
from django.utils import timezone

from proposals import emails
from proposals.models import Comment, Proposal

MAIL_ERRORS = (smtplib.SMTPException, ConnectionError, TimeoutError)
RETRY = {"autoretry_for": MAIL_ERRORS, "retry_backoff": 30, "retry_jitter": True, "max_retries": 6}


def _claim(queryset: QuerySet, field: str) -> bool:
    return bool(queryset.filter(**{f"{field}__isnull": True}).update(**{field: timezone.now()}))


def _send_claimed(queryset: QuerySet, field: str, send) -> None:
    if not _claim(queryset, field):
        return
    try:
        send()
    except Exception:
        queryset.update(**{field: None})
        raise


@shared_task
def close_due_proposals() -> int:
    from proposals.services.proposals import proposals_close_due

    return proposals_close_due()


@shared_task(**RETRY)
def notify_approver_to_decide(proposal_id: int) -> None:
    proposal = Proposal.objects.select_related("team", "approver").filter(pk=proposal_id).first()
    if proposal is None:
        return
    _send_claimed(
        Proposal.objects.filter(pk=proposal_id),
        "close_notified_at",
        lambda: emails.approver_asked_to_decide(proposal=proposal),
    )


@shared_task(**RETRY)
def notify_outcome(proposal_id: int) -> None:
    proposal = (
        Proposal.objects.select_related("team", "chosen_option", "decided_by")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        return
    _send_claimed(
        Proposal.objects.filter(pk=proposal_id),
        "outcome_notified_at",
        lambda: emails.outcome_to_informed(proposal=proposal),
    )


@shared_task(**RETRY)
def notify_mentions(comment_id: int) -> None:
    comment = (
        Comment.objects.select_related("proposal__team", "author").filter(pk=comment_id).first()
    )
    if comment is None:
        return
    _send_claimed(
        Comment.objects.filter(pk=comment_id),
        "mentions_notified_at",
        lambda: emails.mentions(comment=comment),
    )


@shared_task
def remind_decision_reviews() -> int:
    """Reminds drivers of decisions whose review date has come, once per decision."""
    due = Proposal.objects.filter(
        status="decided", review_on__lte=timezone.localdate(), review_reminded_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in due:
        remind_decision_review.delay(pk)
    return len(due)


@shared_task(**RETRY)
def remind_decision_review(proposal_id: int) -> None:
    proposal = Proposal.objects.select_related("team", "driver").filter(pk=proposal_id).first()
    if proposal is None:
        return
    _send_claimed(
        Proposal.objects.filter(pk=proposal_id),
        "review_reminded_at",
        lambda: emails.decision_review_due(proposal=proposal),
    )
