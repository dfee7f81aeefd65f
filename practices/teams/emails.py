"""Account emails: invitations, "you were added", password resets.

Links are built from ``SITE_URL`` because a worker, not a request, sends them.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from practices.emails import absolute_url, email_send, message_id_make
from practices.models import Membership
from practices.teams.email_change import email_change_token_make
from practices.web import person_name


def set_password_url(user: AbstractBaseUser, *, url_name: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return absolute_url(reverse(url_name, kwargs={"uidb64": uid, "token": token}))


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


def email_change_send(*, user: AbstractBaseUser, email: str) -> None:
    token = email_change_token_make(user=user, email=email)
    email_send(
        to=email,
        subject="Confirm your new email for Teamlead",
        template="email_change",
        context={
            "name": person_name(user),
            "old_email": user.email,
            "confirm_url": absolute_url(reverse("email_change_confirm", args=[token])),
        },
    )
