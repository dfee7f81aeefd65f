"""Writes to teams, their members and people's own accounts."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from practices import registries
from practices.charter.sections import SECTIONS
from practices.models import (
    CONTRIBUTING_ROLES,
    CharterSection,
    Membership,
    ReminderProfile,
    Role,
    Team,
)
from practices.outbox.services import outbox_enqueue
from practices.teams.email_change import email_change_token_read

EMAIL_TAKEN = "Another account uses that email; choose another."


def _name_store(user: AbstractBaseUser, name: str) -> None:
    # One field for the whole name: not every name splits into a first and a last
    # part, and get_full_name() (first + " " + last) then reads it back unchanged.
    user.first_name = name.strip()
    user.last_name = ""


@transaction.atomic
def user_profile_update(
    *, user: AbstractBaseUser, name: str, email: str, time_zone: str, password: str = ""
) -> str:
    """Saves the person's name and time zone; asks the new address to confirm an email.

    The email is also the sign-in name (``username``), and invitations go to whoever
    has an address: changing it without proof would let anyone take the next invitation
    sent to an address they do not own. So a new email needs the current password and
    takes effect only once the link mailed to it is opened (``user_email_change_confirm``).
    Returns the address waiting for confirmation, or "" when the email did not change.
    """
    email = get_user_model().objects.normalize_email(email).strip().lower()
    changing = email != user.email.lower()
    if changing:
        _email_free_check(user=user, email=email)
        if not user.check_password(password):
            raise ValidationError({"password": "Enter your current password to change your email."})
    _name_store(user, name)
    user.save(update_fields=["first_name", "last_name"])
    profile, _ = ReminderProfile.objects.get_or_create(user=user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.full_clean(exclude=["user"])
        profile.save(update_fields=["time_zone"])
    if not changing:
        return ""
    outbox_enqueue(
        task="practices.teams.tasks.send_email_change_confirmation",
        args=[user.pk, email],
    )
    return email


def _email_free_check(*, user: AbstractBaseUser, email: str) -> None:
    clash = get_user_model().objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if clash.exclude(pk=user.pk).exists():
        raise ValidationError({"email": EMAIL_TAKEN})


@transaction.atomic
def user_email_change_confirm(*, user: AbstractBaseUser, token: str) -> str:
    """Applies the email change the link names, for ``user`` only; returns the address."""
    data = email_change_token_read(token=token)
    locked = get_user_model().objects.select_for_update().get(pk=user.pk)
    if data.get("u") != locked.pk:
        raise ValidationError("This link is for another account.")
    if data.get("from") != locked.email.lower():
        raise ValidationError("This link is for an earlier change: your email moved since.")
    email = data["to"]
    _email_free_check(user=locked, email=email)
    locked.email = locked.username = email
    try:
        with transaction.atomic():
            locked.save(update_fields=["email", "username"])
    except IntegrityError:
        # Someone took the address between the check and the save.
        raise ValidationError(EMAIL_TAKEN) from None
    user.email = user.username = email
    return email


@transaction.atomic
def user_name_set(*, user: AbstractBaseUser, name: str) -> AbstractBaseUser:
    """Sets the person's name (an invitee confirming or correcting what the lead typed)."""
    _name_store(user, name)
    user.save(update_fields=["first_name", "last_name"])
    return user


@transaction.atomic
def team_create(*, user: AbstractBaseUser, name: str, slug: str, time_zone: str) -> Team:
    """A new team with ``user`` as its lead and a charter of default sections."""
    if Team.objects.filter(slug=slug).exists():
        raise ValidationError({"slug": "That short name is taken; choose another."})
    try:
        with transaction.atomic():
            team = Team.objects.create(name=name, slug=slug, time_zone=time_zone)
    except IntegrityError:
        raise ValidationError({"slug": "That short name is taken; choose another."}) from None
    Membership.objects.create(team=team, user=user, role=Role.LEAD)
    sections = []
    for spec in SECTIONS:
        data = dict(spec.default)
        if "time_zone" in data:
            data["time_zone"] = time_zone
        sections.append(CharterSection(team=team, key=spec.key, data=data))
    CharterSection.objects.bulk_create(sections)
    # No retro is booked yet: the defaults are not the team's agreement. The first save
    # of the charter's retros section books them (see ``charter_section_update``).
    return team


@transaction.atomic
def team_update(*, team: Team, name: str, time_zone: str) -> Team:
    team.name = name
    team.time_zone = time_zone
    team.full_clean()
    team.save(update_fields=["name", "time_zone"])
    return team


def _user_for_email(email: str, name: str) -> AbstractBaseUser:
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User(username=email, email=email, first_name=name.strip())
        user.set_unusable_password()
        user.save()
    elif name.strip() and not user.has_usable_password() and not user.get_full_name():
        # Invited before without a name: take this one. A person's own name, once
        # they have an account, is theirs to change, not the inviting lead's.
        user.first_name = name.strip()
        user.save(update_fields=["first_name"])
    return user


@transaction.atomic
def membership_add(
    *,
    team: Team,
    email: str,
    role: str,
    is_senior: bool,
    name: str = "",
    invited_by: AbstractBaseUser | None = None,
) -> Membership:
    """Adds the person with ``email`` to ``team``; invites them if they have no account yet.

    ``name`` is how the team sees a newcomer until they change it. The email (an
    invitation to set a password, naming ``invited_by``, or a note that they were added)
    is sent by a worker once the transaction commits.
    """
    user = _user_for_email(email, name)
    if Membership.objects.filter(team=team, user=user).exists():
        raise ValidationError({"email": f"{email} is already in {team.name}."})
    membership = Membership.objects.create(
        team=team, user=user, role=role, is_senior=is_senior, invited_by=invited_by
    )
    # By name, not by importing the task: a services module never imports its tasks.
    outbox_enqueue(task="practices.tasks.send_membership_email", args=[membership.pk])
    return membership


def _ensure_a_lead_remains(*, team: Team, leaving: Membership) -> None:
    # Lock the team's lead rows so two leads demoting each other at once cannot both win.
    leads = list(
        Membership.objects.select_for_update()
        .filter(team=team, role=Role.LEAD)
        .values_list("pk", flat=True)
    )
    if leaving.pk in leads and len(leads) == 1:
        raise ValidationError("A team needs at least one lead: make someone else lead first.")


@transaction.atomic
def membership_update(*, membership: Membership, role: str, is_senior: bool) -> Membership:
    """Changes a member's role and seniority; the last lead cannot stop being lead."""
    if role != Role.LEAD:
        _ensure_a_lead_remains(team=membership.team, leaving=membership)
    membership.role = role
    membership.is_senior = is_senior
    membership.full_clean(exclude=["team", "user"])
    membership.save(update_fields=["role", "is_senior"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    """Removes someone from the team; the last lead cannot be removed."""
    _ensure_a_lead_remains(team=membership.team, leaving=membership)
    membership.delete()


@transaction.atomic
def member_roles_hand_over(
    *, team: Team, from_user_id: int, to_user_id: int, actor: AbstractBaseUser
) -> int:
    """A lead hands every open role ``from_user_id`` holds in the team (proposals they
    drive or approve, design pages they drive) to a member or lead, all or nothing.

    Works for someone still in the team and for someone who left it. Each moved role gets
    a line on its own timeline. Returns how many roles moved.
    """
    if not Membership.objects.filter(team=team, user=actor, role=Role.LEAD).exists():
        raise PermissionDenied("Only the team's leads hand roles over.")
    to = (
        Membership.objects.select_related("user")
        .filter(team=team, user_id=to_user_id, role__in=CONTRIBUTING_ROLES)
        .first()
    )
    if to is None:
        raise ValidationError({"to": "Pick a member or lead of the team to take them over."})
    if to.user_id == from_user_id:
        raise ValidationError({"to": "Pick someone else: they already hold these roles."})
    moved = registries.open_roles_hand_over(
        team=team, from_user_id=from_user_id, to_user=to.user, actor=actor
    )
    if not moved:
        raise ValidationError("There is nothing open to hand over.")
    return moved


def password_reset_request(*, user_id: int) -> None:
    """Asks a worker to mail ``user_id`` a reset link, through the outbox: a reset asked
    for while the broker is down still arrives. A second request while the first waits
    adds nothing (the link would be the same)."""
    outbox_enqueue(
        task="practices.tasks.send_password_reset_email",
        args=[user_id],
        key=f"password-reset:{user_id}",
    )
