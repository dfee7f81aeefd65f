"""Teams' mail, sent by Celery workers from the outbox.

Task names stay ``practices.tasks.<fn>`` (where they were defined before issue 12):
outbox rows and queued messages carry the name, so a renamed task would strand them.
"""

from celery import shared_task
from django.contrib.auth import get_user_model

from practices.models import Membership
from practices.task_policies import MAIL_RETRY, send_then_stamp

# The module, not its functions: tests replace ``emails.membership_email_send``.
from practices.teams import emails, services


@shared_task(name="practices.tasks.send_membership_email", **MAIL_RETRY)
def send_membership_email(membership_id: int) -> None:
    """Invites (or tells) a new member, once: ``invitation_sent_at`` is the "sent" mark."""
    memberships = Membership.objects.filter(pk=membership_id)

    def send() -> None:
        membership = memberships.select_related("team", "user", "invited_by").first()
        if membership is not None:
            emails.membership_email_send(membership=membership)

    send_then_stamp(queryset=memberships, field="invitation_sent_at", send=send)


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
    """Kept while tests still call it here; the request is ``password_reset_request``."""
    services.password_reset_request(user_id=user_id)


@shared_task(name="practices.teams.tasks.send_email_change_confirmation", **MAIL_RETRY)
def send_email_change_confirmation(user_id: int, email: str) -> None:
    """Mails the link that confirms ``email`` as the account's new address. Safe twice:
    the second link is as good as the first, and either applies the change once."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.email.lower() == email:
        return
    emails.email_change_send(user=user, email=email)
