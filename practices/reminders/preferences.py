"""Who wants which reminders how, in which time zone; signed unsubscribe tokens."""

import zoneinfo
from collections.abc import Iterable
from datetime import datetime, time, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction

from practices.models import ReminderDelivery, ReminderPreference, ReminderProfile
from practices.reminders.kinds import kind_get, kind_list

UNSUBSCRIBE_SALT = "practices.reminders.unsubscribe"
# The pseudo-kind of the daily digest: unsubscribing from it turns off what it bundles.
DIGEST = "digest"


def delivery_map(*, user_ids: Iterable[int]) -> dict[tuple[int, str], str]:
    """(user id, kind) → delivery, for every registered kind, in one query."""
    user_ids = set(user_ids)
    chosen = dict(
        ((user_id, kind), delivery)
        for user_id, kind, delivery in ReminderPreference.objects.filter(
            user_id__in=user_ids
        ).values_list("user_id", "kind", "delivery")
    )
    return {
        (user_id, kind.key): chosen.get((user_id, kind.key), kind.default_delivery)
        for user_id in user_ids
        for kind in kind_list()
    }


def profile_map(*, user_ids: Iterable[int]) -> dict[int, ReminderProfile]:
    """Each person's profile (an unsaved default one if they never chose), in one query."""
    user_ids = set(user_ids)
    found = {p.user_id: p for p in ReminderProfile.objects.filter(user_id__in=user_ids)}
    return {pk: found.get(pk) or ReminderProfile(user_id=pk) for pk in user_ids}


def person_zone(*, profile: ReminderProfile, team_time_zone: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(profile.time_zone or team_time_zone or "UTC")


def digest_next_at(*, after: datetime, zone: zoneinfo.ZoneInfo, hour: int) -> datetime:
    """The first digest time (``hour`` o'clock in ``zone``) at or after ``after``."""
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), time(hour), tzinfo=zone)
    if candidate < local:
        candidate = datetime.combine(local.date() + timedelta(days=1), time(hour), tzinfo=zone)
    return candidate


def reminder_send_at(
    *, delivery: str, after: datetime, profile: ReminderProfile, team_time_zone: str
) -> datetime:
    """When a reminder made at ``after`` goes out: at once by email, or at the person's
    next digest hour (in their own time zone, else the team's) for a digest."""
    if delivery != ReminderDelivery.DIGEST:
        return after
    zone = person_zone(profile=profile, team_time_zone=team_time_zone)
    return digest_next_at(after=after, zone=zone, hour=profile.digest_hour)


@transaction.atomic
def reminder_preference_set(*, user: AbstractBaseUser, kind: str, delivery: str) -> None:
    """Stores how ``user`` wants reminders of ``kind`` (``digest`` means every digest kind)."""
    if delivery not in ReminderDelivery.values:
        raise ValidationError({"delivery": "Choose email now, daily digest or off."})
    if kind == DIGEST:
        # Turning the digest off turns off what it bundles; nothing else changes.
        keys = [
            k for k, d in delivery_map(user_ids=[user.pk]).items() if d == ReminderDelivery.DIGEST
        ]
        for _, key in keys:
            _preference_store(user_id=user.pk, kind=key, delivery=delivery)
        return
    if kind_get(kind) is None:
        raise ValidationError({"kind": "No such kind of reminder."})
    _preference_store(user_id=user.pk, kind=kind, delivery=delivery)


def _preference_store(*, user_id: int, kind: str, delivery: str) -> None:
    ReminderPreference.objects.update_or_create(
        user_id=user_id, kind=kind, defaults={"delivery": delivery}
    )


@transaction.atomic
def reminder_profile_update(
    *, user: AbstractBaseUser, time_zone: str, digest_hour: int
) -> ReminderProfile:
    profile, _ = ReminderProfile.objects.get_or_create(user=user)
    profile.time_zone = time_zone
    profile.digest_hour = digest_hour
    profile.full_clean(exclude=["user"])
    profile.save()
    return profile


@transaction.atomic
def reminder_choices_save(
    *, user: AbstractBaseUser, deliveries: dict[str, str], time_zone: str, digest_hour: int
) -> None:
    """The notifications page's choices, all or nothing: one delivery per kind, the profile."""
    for kind, delivery in deliveries.items():
        reminder_preference_set(user=user, kind=kind, delivery=delivery)
    reminder_profile_update(user=user, time_zone=time_zone, digest_hour=digest_hour)


# -- unsubscribe ------------------------------------------------------------------------


def unsubscribe_token_make(*, user_id: int, kind: str) -> str:
    """A token that turns off ``kind`` for the person, without signing in. It never
    expires: an old email's unsubscribe link must keep working."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT)


def unsubscribe_token_read(*, token: str) -> tuple[int, str]:
    """(user id, kind) from a token; raises ``signing.BadSignature`` if forged or broken."""
    data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise signing.BadSignature("malformed unsubscribe token")
    kind = data.get("k")
    if kind != DIGEST and kind_get(kind) is None:
        raise signing.BadSignature("unknown kind")
    return data["u"], kind


def kind_label(kind: str) -> str:
    if kind == DIGEST:
        return "the daily digest"
    found = kind_get(kind)
    return found.label if found else kind
