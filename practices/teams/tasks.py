"""Teams' mail, sent by Celery workers from the outbox.

Task names stay ``practices.tasks.<fn>`` (where they were defined before issue 12):
outbox rows and queued messages carry the name, so a renamed task would strand them.
"""

from celery import shared_task
from django.contrib.auth import get_user_model
from django.utils import timezone

# The module, not its functions: tests replace ``emails.membership_email_send``.
from practices import emails
from practices.models import Membership
from practices.task_policies import MAIL_RETRY
from practices.teams import emails as team_emails


@shared_task(name="practices.tasks.send_membership_email", **MAIL_RETRY)
def send_membership_email(membership_id: int) -> None:
    """Invites (or tells) a new member, once.

    ``invitation_sent_at`` is set after the send: a worker killed mid-send leaves it
    empty and the outbox's next copy sends again (same Message-ID); the outbox lease
    keeps two copies from sending at once.
    """
    membership = (
        Membership.objects.select_related("team", "user", "invited_by")
        .filter(pk=membership_id, invitation_sent_at__isnull=True)
        .first()
    )
    if membership is None:
        return
    emails.membership_email_send(membership=membership)
    Membership.objects.filter(pk=membership_id).update(invitation_sent_at=timezone.now())


@shared_task(name="practices.tasks.send_password_reset_email", bind=True, **MAIL_RETRY)
def send_password_reset_email(self, user_id: int) -> None:
    """Mails a reset link. Each request is one outbox row, which the lease runs once;
    a copy sent again after a crash keeps the row's Message-ID."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.email:
        return
    outbox_id = (self.request.headers or {}).get("outbox_id")
    emails.password_reset_email_send(user=user, occasion=outbox_id)


def enqueue_password_reset(user_id: int) -> None:
    # Through the outbox: a reset asked for while the broker is down still arrives.
    # A second request while the first waits adds nothing (the link would be the same).
    from practices.outbox.services import outbox_enqueue

    outbox_enqueue(task=send_password_reset_email, args=[user_id], key=f"password-reset:{user_id}")


@shared_task(name="practices.teams.tasks.send_email_change_confirmation", **MAIL_RETRY)
def send_email_change_confirmation(user_id: int, email: str) -> None:
    """Mails the link that confirms ``email`` as the account's new address. Safe twice:
    the second link is as good as the first, and either applies the change once."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() == email:
        return
    team_emails.email_change_send(user=user, email=email)
