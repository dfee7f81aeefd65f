"""Writes to a person's own account."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q

from practices.models import ReminderProfile

EMAIL_TAKEN = "Another account uses that email; choose another."


def _name_store(user: AbstractBaseUser, name: str) -> None:
    # One field for the whole name: not every name splits into a first and a last
    # part, and get_full_name() (first + " " + last) then reads it back unchanged.
    user.first_name = name.strip()
    user.last_name = ""


@transaction.atomic
def user_profile_update(
    *, user: AbstractBaseUser, name: str, email: str, time_zone: str
) -> AbstractBaseUser:
    """Saves the person's name, email and time zone.

    The email is also the sign-in name (``username``), so both change together, and
    no two accounts may share it, whatever its case.
    """
    User = get_user_model()
    email = User.objects.normalize_email(email).strip().lower()
    clash = User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email))
    if clash.exclude(pk=user.pk).exists():
        raise ValidationError({"email": EMAIL_TAKEN})
    _name_store(user, name)
    user.email = email
    user.username = email
    try:
        with transaction.atomic():
            user.save(update_fields=["first_name", "last_name", "email", "username"])
    except IntegrityError:
        # Someone took the address between the check and the save.
        raise ValidationError({"email": EMAIL_TAKEN}) from None
    profile, _ = ReminderProfile.objects.get_or_create(user=user)
    if profile.time_zone != time_zone:
        profile.time_zone = time_zone
        profile.full_clean(exclude=["user"])
        profile.save(update_fields=["time_zone"])
    return user


@transaction.atomic
def user_name_set(*, user: AbstractBaseUser, name: str) -> AbstractBaseUser:
    """Sets the person's name (an invitee confirming or correcting what the lead typed)."""
    _name_store(user, name)
    user.save(update_fields=["first_name", "last_name"])
    return user
