"""Sending a planned reminder: claim, render, hand to the mail server, mark sent."""

import logging
import random
import time
import uuid
from datetime import datetime, timedelta

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from practices.emails import absolute_url, email_build, message_id_make
from practices.models import Membership, Reminder, ReminderDelivery, ReminderState
from practices.reminders.kinds import Message, kind_get
from practices.reminders.planner import reminder_ready
from practices.reminders.preferences import (
    DIGEST,
    delivery_map,
    kind_label,
    person_zone,
    profile_map,
    unsubscribe_token_make,
)
from practices.task_policies import MAIL_SERVER_ERRORS

logger = logging.getLogger(__name__)

# A reminder's failed send is recorded on its row and planned again (no Celery retry).
# OSError too: a DNS failure (socket.gaierror) is an OSError, not a ConnectionError. Not
# the task's soft time limit, which practices.task_policies.MAIL_ERRORS has: it must
# reach the task, which is being stopped.
SEND_ERRORS = (*MAIL_SERVER_ERRORS, OSError)
MAX_ATTEMPTS = 8
BACKOFF_FIRST = timedelta(minutes=2)
BACKOFF_MAX = timedelta(hours=6)


def backoff(attempts: int) -> timedelta:
    """2, 4, 8 … minutes (at most 6 hours) after the ``attempts``-th failure, ±20 %."""
    delay = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not a secret


def reminder_send(*, reminder_id: int, now: datetime | None = None) -> bool:
    """Sends one "email now" reminder, at most once; True if this call sent it.

    The row is claimed by a conditional UPDATE (pending, due, and unclaimed or claimed
    longer ago than the claim timeout) before anything is rendered, so a task
    delivered twice, or two workers, send it once. It is marked sent in the statement
    right after the mail server accepted the message.

    The one window left is a crash after the mail server has the whole message (the
    final ".") and before the "sent" UPDATE commits: waiting for the server's "250"
    (a second or two, up to ``EMAIL_TIMEOUT``) plus that UPDATE. The server may have
    queued the message, and we cannot know, so the row is sent again once its claim
    times out (``REMINDER_CLAIM_TIMEOUT``, 150 s by default: past the send task's hard
    time limit). That second copy carries the same Message-ID (``message_id_make``,
    from the row), so mail systems and clients fold it into the first. The window is
    kept small: the SMTP connection is opened and the message rendered *before*
    sending, the UPDATE runs in autocommit on the connection the claim just used (one
    round trip), QUIT comes after it, and a failing UPDATE is retried for a few
    seconds. Every other crash sends the reminder exactly once.
    """
    return _claim_and_deliver(
        Q(pk=reminder_id, delivery=ReminderDelivery.NOW), now=now or timezone.now(), digest=False
    )


def reminder_digest_send(*, user_id: int, now: datetime | None = None) -> bool:
    """Sends the person's digest of every due digest reminder, in one email, once.

    All the rows are claimed in one conditional UPDATE, so a second task for the same
    person finds nothing to claim; the same window as ``reminder_send`` applies.
    """
    return _claim_and_deliver(
        Q(user_id=user_id, delivery=ReminderDelivery.DIGEST),
        now=now or timezone.now(),
        digest=True,
    )


def _claim_and_deliver(rows: Q, *, now: datetime, digest: bool) -> bool:
    """Claims the ready ``rows`` under a new token in one conditional UPDATE, then
    delivers what this call claimed; False if another claim got there first."""
    token = uuid.uuid4().hex
    claimed = (
        reminder_ready(now=now)
        .filter(rows)
        .update(claimed_at=now, claim_token=token, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    return _deliver(token=token, now=now, digest=digest)


def _claimed(token: str):
    return Reminder.objects.filter(state=ReminderState.PENDING, claim_token=token)


def _deliver(*, token: str, now: datetime, digest: bool) -> bool:
    rows = list(_claimed(token).select_related("team", "user"))
    if not rows:
        return False
    user = rows[0].user
    # The person may have turned the kind off since it was planned.
    deliveries = delivery_map(user_ids=[user.pk])
    off = [r.pk for r in rows if deliveries.get((user.pk, r.kind)) == ReminderDelivery.OFF]
    if off:
        _claimed(token).filter(pk__in=off).update(state=ReminderState.SKIPPED)
    rows = [r for r in rows if r.pk not in off]
    rows = _still_qualified(token=token, user_id=user.pk, rows=rows)
    if not user.email or not user.is_active:
        _claimed(token).update(state=ReminderState.SKIPPED, last_error="no active address")
        return False
    try:
        messages = _render(rows)
        # What the renderers dropped is no longer due (voted since, retro cancelled…).
        gone = [r.pk for r in rows if r.pk not in messages]
        if gone:
            _claimed(token).filter(pk__in=gone).update(state=ReminderState.SKIPPED)
        rows = [r for r in rows if r.pk in messages]
        if not rows:
            return False
        email = (
            _digest_email(user=user, rows=rows, messages=messages)
            if digest
            else _single_email(user=user, row=rows[0], message=messages[rows[0].pk])
        )
        connection = get_connection()
        connection.open()
    except SEND_ERRORS as error:
        _release(token=token, now=now, error=error)
        return False
    except Exception as error:
        _release(token=token, now=now, error=error)
        raise
    try:
        try:
            connection.send_messages([email])
        except SEND_ERRORS as error:
            _release(token=token, now=now, error=error)
            return False
        _mark_sent(token=token)
    finally:
        connection.close()
    return True


def _still_qualified(*, token: str, user_id: int, rows: list[Reminder]) -> list[Reminder]:
    """The rows whose person still holds a role that the reminder is for, in its team.

    Checked at send time: a reminder planned before the person was removed, or made an
    observer (votes due, reviews waiting), is skipped rather than sent.
    """
    roles = dict(
        Membership.objects.filter(
            user_id=user_id, team_id__in={r.team_id for r in rows}
        ).values_list("team_id", "role")
    )
    gone = []
    for row in rows:
        role = roles.get(row.team_id)
        kind = kind_get(row.kind)
        if role is None or (kind is not None and kind.roles is not None and role not in kind.roles):
            gone.append(row.pk)
    if gone:
        _claimed(token).filter(pk__in=gone).update(
            state=ReminderState.SKIPPED, last_error="no longer in a role this reminder is for"
        )
    return [r for r in rows if r.pk not in gone]


def _mark_sent(*, token: str) -> None:
    for attempt in range(5):
        try:
            _claimed(token).update(state=ReminderState.SENT, sent_at=timezone.now())
            return
        except DatabaseError:
            if attempt == 4:
                raise
            logger.warning("reminder %s sent but not yet marked; retrying", token)
            time.sleep(1)


def _release(*, token: str, now: datetime, error: BaseException) -> None:
    """Gives the claim back with a backoff, or gives up after ``MAX_ATTEMPTS``."""
    logger.warning("reminder send failed (%s): %s", token, error)
    text = f"{type(error).__name__}: {error}"[:300]
    rows = _claimed(token)
    rows.filter(attempts__gte=MAX_ATTEMPTS).update(state=ReminderState.FAILED, last_error=text)
    attempts = max(rows.values_list("attempts", flat=True), default=1)
    rows.update(
        claimed_at=None,
        claim_token="",
        queued_at=None,
        queue_token="",
        next_attempt_at=now + backoff(attempts),
        last_error=text,
    )


def _render(rows: list[Reminder]) -> dict[int, Message]:
    profiles = profile_map(user_ids={r.user_id for r in rows})
    for row in rows:
        row.zone = person_zone(profile=profiles[row.user_id], team_time_zone=row.team.time_zone)
    messages: dict[int, Message] = {}
    by_kind: dict[str, list[Reminder]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, []).append(row)
    for key, kind_rows in by_kind.items():
        kind = kind_get(key)
        if kind is not None:
            messages.update(kind.render(kind_rows))
    return messages


def unsubscribe_url(*, user_id: int, kind: str) -> str:
    token = unsubscribe_token_make(user_id=user_id, kind=kind)
    return absolute_url(reverse("reminder_unsubscribe", kwargs={"token": token}))


def _email(
    *, user, subject: str, template: str, context: dict, kind: str, message_id: str
) -> EmailMultiAlternatives:
    unsubscribe = unsubscribe_url(user_id=user.pk, kind=kind)
    context = {
        **context,
        "unsubscribe_url": unsubscribe,
        "unsubscribe_what": kind_label(kind),
        "settings_url": absolute_url(reverse("notifications")),
    }
    return email_build(
        to=user.email,
        subject=subject,
        template=template,
        context=context,
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
        message_id=message_id,
    )


def _single_email(*, user, row: Reminder, message: Message) -> EmailMultiAlternatives:
    email = _email(
        user=user,
        subject=message.subject,
        template="reminder",
        context={"message": message},
        kind=row.kind,
        message_id=message_id_make(
            what="reminder", pk=row.pk, occasion=f"{row.kind}:{row.object_id}:{row.occasion}"
        ),
    )
    for attachment in message.attachments:
        email.attach(attachment.filename, attachment.content, attachment.mimetype)
    return email


def _digest_email(*, user, rows: list[Reminder], messages: dict[int, Message]):
    entries = [messages[r.pk] for r in sorted(rows, key=lambda r: (r.due_at, r.pk))]
    count = len(entries)
    subject = entries[0].subject if count == 1 else f"Your Teamlead digest: {count} reminders"
    email = _email(
        user=user,
        subject=subject,
        template="reminder_digest",
        context={
            "entries": [
                {"message": m, "unsubscribe_url": unsubscribe_url(user_id=user.pk, kind=r.kind)}
                for r, m in zip(sorted(rows, key=lambda r: (r.due_at, r.pk)), entries, strict=True)
            ]
        },
        kind=DIGEST,
        # Named by the rows it bundles: resent after a crash, the same rows make the
        # same message (a row that fell due meanwhile makes it a new one).
        message_id=message_id_make(
            what="digest",
            pk=user.pk,
            occasion=",".join(str(r.pk) for r in sorted(rows, key=lambda r: r.pk)),
        ),
    )
    for message in entries:
        for attachment in message.attachments:
            email.attach(attachment.filename, attachment.content, attachment.mimetype)
    return email
