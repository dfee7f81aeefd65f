"""Account emails: invitations, "you were added", password resets.

Links are built from ``SITE_URL`` because a worker, not a request, sends them.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from practices.models import Membership
from practices.single_line import header_line
from practices.web import person_name


def absolute_url(path: str) -> str:
    return settings.SITE_URL + path


def set_password_url(user: AbstractBaseUser, *, url_name: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse(url_name, kwargs={"uidb64": uid, "token": token}))


def message_id_make(*, what: str, pk: int, occasion: object = "") -> str:
    """A Message-ID that names one email of one row: the same whenever it is rebuilt.

    A worker that dies after the mail server took the message but before the row was
    marked sent sends it again; with the same Message-ID, mail systems and clients
    fold the second copy into the first instead of showing a new email. ``occasion``
    tells apart emails one row sends on different occasions (voting closed again
    after a reopen). The hash (keyed with the secret key) keeps ids from two
    databases whose rows share a primary key apart, and says nothing readable.
    """
    digest = salted_hmac("teamlead.message-id", f"{what}:{pk}:{occasion}").hexdigest()[:16]
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<{what}-{pk}-{digest}@{domain}>"


def email_build(
    *,
    to: str,
    subject: str,
    template: str,
    context: dict,
    headers: dict | None = None,
    message_id: str = "",
) -> EmailMultiAlternatives:
    """A text + HTML email rendered from templates/emails/<template>.txt|.html, unsent.

    Without ``message_id`` Django makes a new random one each time it is built. Every
    email is built here, so here the subject and the headers are made one line: a title
    stored with a line break (before forms folded them) would otherwise make the send
    fail with BadHeaderError, and the email would be lost.
    """
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    headers = {name: header_line(str(value)) for name, value in (headers or {}).items()}
    if message_id:
        headers["Message-ID"] = message_id
    message = EmailMultiAlternatives(
        subject=header_line(subject), body=text, to=[to], headers=headers
    )
    message.attach_alternative(html, "text/html")
    return message


def email_send(
    *, to: str, subject: str, template: str, context: dict, message_id: str = ""
) -> None:
    """Sends a text + HTML email rendered from templates/emails/<template>.txt|.html."""
    email_build(
        to=to, subject=subject, template=template, context=context, message_id=message_id
    ).send()


def membership_email_send(*, membership: Membership) -> None:
    user, team = membership.user, membership.team
    context = {
        "team": team,
        "name": user.get_full_name(),
        "inviter": person_name(membership.invited_by, nobody=""),
        "role": membership.get_role_display().lower(),
        "team_url": absolute_url(team.get_absolute_url()),
    }
    # Claimed by ``invitation_sent_at`` and released when sending fails: a retry is
    # the same message.
    message_id = message_id_make(what="membership", pk=membership.pk, occasion=user.pk)
    if user.has_usable_password():
        email_send(
            to=user.email,
            subject=f"[{team.slug.upper()}] You were added to {team.name}",
            template="membership_added",
            context=context,
            message_id=message_id,
        )
        return
    context["accept_url"] = set_password_url(user, url_name="invitation_accept")
    email_send(
        to=user.email,
        subject=f"[{team.slug.upper()}] You are invited to {team.name} on Teamlead",
        template="invitation",
        context=context,
        message_id=message_id,
    )


def password_reset_email_send(*, user: AbstractBaseUser, occasion: object = None) -> None:
    """``occasion`` names the request (its outbox row): a resend of it after a crash is
    the same message, a new request a new one. Without it, a fresh Message-ID."""
    message_id = ""
    if occasion is not None:
        message_id = message_id_make(what="password-reset", pk=user.pk, occasion=occasion)
    email_send(
        to=user.email,
        subject="Reset your Teamlead password",
        template="password_reset",
        context={"reset_url": set_password_url(user, url_name="password_reset_confirm")},
        message_id=message_id,
    )
