"""Writes for retros: the schedule, the board, action items and the calendar address."""

import secrets
from collections.abc import Collection
from datetime import date, datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from practices.models import (
    RETRO_DOTS_PER_MEMBER,
    ActionItemStatus,
    CharterSection,
    Membership,
    Reminder,
    ReminderState,
    Retro,
    RetroActionItem,
    RetroCard,
    RetroCardGroup,
    RetroVote,
    Team,
    TeamCalendar,
)
from practices.retros.cadence import Cadence

# The retro reminder's kind (``practices.reminders.retro``), which imports this app.
RETRO_REMINDER_KIND = "retro"
# How many upcoming retros exist as rows: enough for reminders and the calendar feed.
RETRO_HORIZON = 4


# -- Schedule ---------------------------------------------------------------------------


def _upcoming(retro: Retro, now: datetime) -> bool:
    return retro.slot_at > now and retro.starts_at > now


def _series_start(*, cadence: Cadence, retros: list[Retro], now: datetime) -> date:
    """The local day of the first upcoming occurrence under ``cadence``.

    The series continues where it is: from the next retro if it still fits the
    cadence, else every N weeks on from the last one held, else from the first
    fitting day after now.
    """
    upcoming = [r for r in retros if _upcoming(r, now)]
    if upcoming and cadence.matches(upcoming[0].slot_at):
        return cadence.local_day(upcoming[0].slot_at)
    held = [r for r in retros if r.slot_at <= now]
    if held and cadence.matches(held[-1].slot_at):
        day = cadence.local_day(held[-1].slot_at)
        step = cadence.days_from(day, 2)[1] - day
        while cadence.at(day) <= now:
            day += step
        return day
    return cadence.first_after(now)


def retro_cadence_agreed(*, section: CharterSection | None) -> bool:
    """Whether a lead has saved the charter's retro cadence: its defaults book nothing."""
    return section is not None and section.version > 0


@transaction.atomic
def retro_schedule(*, team: Team, now: datetime | None = None) -> list[Retro]:
    """Makes the team's next ``RETRO_HORIZON`` retros match the charter's cadence.

    Until a lead has saved the cadence (``retro_cadence_agreed``), nothing is booked
    and nothing is returned: the defaults were never agreed by the team.

    Retros that started (or whose slot passed) are never touched. An upcoming retro
    on a slot the cadence still gives keeps its move or skip; one whose slot the
    cadence no longer gives is moved to a new slot with its cards (its move or skip
    is dropped with the old slot). Safe to run any number of times.
    """
    now = now or timezone.now()
    # One scheduler per team at a time: the team row is the lock.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    section = CharterSection.objects.filter(team=team, key="retros").first()
    if not retro_cadence_agreed(section=section):
        return []
    cadence = Cadence.from_data(section.data)
    retros = list(Retro.objects.filter(team=team).order_by("slot_at"))
    upcoming = [r for r in retros if _upcoming(r, now)]
    wanted = _slots_wanted(cadence=cadence, retros=retros, now=now)
    by_slot = {r.slot_at: r for r in upcoming}
    spare = [r for r in upcoming if r.slot_at not in set(wanted)]
    shown = {r.pk: r.calendar_state for r in upcoming}

    for slot in wanted:
        retro = by_slot.get(slot)
        if retro is None and spare:
            retro = spare.pop(0)
            retro.slot_at = slot
            retro.moved = False
            retro.skipped = False
        if retro is None:
            retro = Retro(team=team, slot_at=slot)
        if not retro.moved:
            retro.starts_at = slot
        retro.duration_minutes = cadence.duration_minutes
        retro.time_zone = cadence.time_zone
        if retro.pk in shown:
            # Calendars that hold it (the feed, emailed invites) get the change.
            retro.calendar_changed_since(shown[retro.pk], now=now)
        retro.save()
        by_slot[slot] = retro
    _spare_drop(spare=spare, shown=shown, now=now)
    return sorted((by_slot[slot] for slot in wanted), key=lambda r: r.starts_at)


def _slots_wanted(*, cadence: Cadence, retros: list[Retro], now: datetime) -> list[datetime]:
    """The cadence's next ``RETRO_HORIZON`` slots, less those of retros already held."""
    taken = {r.slot_at for r in retros if not _upcoming(r, now)}
    first = _series_start(cadence=cadence, retros=retros, now=now)
    wanted = [cadence.at(day) for day in cadence.days_from(first, RETRO_HORIZON)]
    return [slot for slot in wanted if slot not in taken]


def _spare_drop(*, spare: list[Retro], shown: dict[int, tuple], now: datetime) -> None:
    """More upcoming rows than the horizon holds: drop the empty ones. One whose invite
    went out is skipped instead, so the people who have it get a cancellation."""
    invited = set(
        Reminder.objects.filter(
            kind=RETRO_REMINDER_KIND,
            object_id__in=[r.pk for r in spare],
            state=ReminderState.SENT,
        ).values_list("object_id", flat=True)
    )
    for retro in spare:
        if retro.pk in invited and not retro.skipped:
            retro.skipped = True
            retro.calendar_changed_since(shown[retro.pk], now=now)
            retro.save(update_fields=["skipped", "sequence", "changed_at"])
        elif not (retro.pk in invited or retro.cards.exists() or retro.action_items.exists()):
            retro.delete()


def retro_schedule_due_teams(*, now: datetime | None = None) -> list[int]:
    """Ids of the teams with an agreed cadence and fewer than ``RETRO_HORIZON`` upcoming
    retros."""
    now = now or timezone.now()
    upcoming = Q(retros__slot_at__gt=now, retros__starts_at__gt=now)
    agreed = CharterSection.objects.filter(key="retros", version__gt=0).values("team_id")
    return list(
        Team.objects.filter(pk__in=agreed)
        .annotate(upcoming=Count("retros", filter=upcoming))
        .filter(upcoming__lt=RETRO_HORIZON)
        .values_list("pk", flat=True)
    )


def _retro_locked(retro: Retro) -> Retro:
    # Read again under a row lock: two leads acting at once must not both raise the
    # sequence from the same stale copy, or calendars miss the second change.
    return Retro.objects.select_for_update().select_related("team").get(pk=retro.pk)


@transaction.atomic
def retro_move(*, retro: Retro, starts_at: datetime, now: datetime | None = None) -> Retro:
    """Moves this one occurrence; the cadence and the other retros stay as they are."""
    now = now or timezone.now()
    retro = _retro_locked(retro)
    if retro.has_started(now):
        raise ValidationError("This retro has started already; it can no longer be moved.")
    if starts_at <= now:
        raise ValidationError({"starts_at": "Choose a time in the future."})
    shown = retro.calendar_state
    retro.starts_at = starts_at
    retro.moved = starts_at != retro.slot_at
    retro.skipped = False
    # A new sequence: the planner sends an update to everyone who has the invite.
    retro.calendar_changed_since(shown, now=now)
    retro.save(update_fields=["starts_at", "moved", "skipped", "sequence", "changed_at"])
    return retro


@transaction.atomic
def retro_skip(*, retro: Retro, skipped: bool, now: datetime | None = None) -> Retro:
    """Skips this one occurrence (or takes the skip back); the next ones stay."""
    now = now or timezone.now()
    retro = _retro_locked(retro)
    if retro.has_started(now):
        raise ValidationError("This retro has started already; it can no longer be skipped.")
    shown = retro.calendar_state
    retro.skipped = skipped
    # A new sequence: who has the invite gets a cancellation (or the retro back).
    retro.calendar_changed_since(shown, now=now)
    retro.save(update_fields=["skipped", "sequence", "changed_at"])
    return retro


# -- Board ------------------------------------------------------------------------------


def _board_changed(retro: Retro) -> None:
    Retro.objects.filter(pk=retro.pk).update(board_version=F("board_version") + 1)


def _require_open_board(retro: Retro, now: datetime) -> None:
    if retro.skipped:
        raise ValidationError("This retro is skipped; its board is closed.")
    if not retro.board_is_open(now):
        raise ValidationError("This retro is over; its board is closed.")


@transaction.atomic
def retro_card_add(
    *,
    retro: Retro,
    author: AbstractBaseUser,
    column: str,
    text: str,
    anonymous: bool,
    now: datetime | None = None,
) -> RetroCard:
    """Adds a card. An anonymous card is stored without any author at all."""
    _require_open_board(retro, now or timezone.now())
    card = RetroCard.objects.create(
        retro=retro,
        column=column,
        text=text.strip(),
        anonymous=anonymous,
        author=None if anonymous else author,
    )
    _board_changed(retro)
    return card


@transaction.atomic
def retro_card_delete(
    *,
    card: RetroCard,
    user: AbstractBaseUser,
    is_lead: bool,
    anonymous_card_ids: Collection[int] = (),
    now: datetime | None = None,
) -> None:
    """Deletes a card: its author may (while the board is open), and a lead always may.

    The author of an anonymous card is known only to their own browser, which holds
    the card's id in a signed cookie (``anonymous_card_ids``).
    """
    if not (card.is_own(user, anonymous_card_ids) or is_lead):
        raise PermissionDenied("Only the card's author or a lead can delete it.")
    if not is_lead:
        _require_open_board(card.retro, now or timezone.now())
    group = card.group
    card.delete()
    if group is not None and not group.cards.exists():
        group.delete()
    _board_changed(card.retro)


@transaction.atomic
def retro_card_vote_toggle(
    *, card: RetroCard, voter: AbstractBaseUser, now: datetime | None = None
) -> bool:
    """Puts one of the voter's dots on the card, or takes it back. True if it is on now.

    Each member has ``RETRO_DOTS_PER_MEMBER`` dots per retro; the database refuses a
    dot beyond them even when two clicks race.
    """
    retro = card.retro
    _require_open_board(retro, now or timezone.now())
    if RetroVote.objects.filter(card=card, voter=voter).delete()[0]:
        _board_changed(retro)
        return False
    for _attempt in range(RETRO_DOTS_PER_MEMBER):
        used = set(RetroVote.objects.filter(retro=retro, voter=voter).values_list("dot", flat=True))
        free = [dot for dot in range(1, RETRO_DOTS_PER_MEMBER + 1) if dot not in used]
        if not free:
            break
        try:
            with transaction.atomic():
                RetroVote.objects.create(retro=retro, card=card, voter=voter, dot=free[0])
        except IntegrityError:
            # Another click took that dot (or voted this card) first: look again.
            if RetroVote.objects.filter(card=card, voter=voter).exists():
                return True
            continue
        _board_changed(retro)
        return True
    raise ValidationError(
        f"You have used your {RETRO_DOTS_PER_MEMBER} dots. Take one back to vote for this card."
    )


@transaction.atomic
def retro_card_group(
    *,
    card: RetroCard,
    group: RetroCardGroup | None = None,
    new_title: str = "",
    now: datetime | None = None,
) -> RetroCard:
    """Puts the card in ``group``, in a new group titled ``new_title``, or in none."""
    retro = card.retro
    _require_open_board(retro, now or timezone.now())
    if new_title.strip():
        group = RetroCardGroup.objects.create(
            retro=retro, column=card.column, title=new_title.strip()
        )
    elif group is not None and (group.retro_id != retro.pk or group.column != card.column):
        raise ValidationError({"group": "Choose a group in the same column."})
    previous = card.group
    card.group = group
    card.save(update_fields=["group"])
    if previous is not None and previous != group and not previous.cards.exists():
        previous.delete()
    _board_changed(retro)
    return card


# -- Action items -----------------------------------------------------------------------


@transaction.atomic
def retro_action_item_add(
    *,
    retro: Retro,
    text: str,
    owner: AbstractBaseUser | None,
    due_date: date | None,
    created_by: AbstractBaseUser,
) -> RetroActionItem:
    """An action item the team agreed on; the next retro reviews it."""
    if owner is not None and not Membership.objects.filter(team=retro.team_id, user=owner).exists():
        raise ValidationError({"owner": "The owner must be in the team."})
    item = RetroActionItem.objects.create(
        retro=retro, text=text.strip(), owner=owner, due_date=due_date, created_by=created_by
    )
    _board_changed(retro)
    return item


REVIEW_OUTCOMES = {
    "done": ActionItemStatus.DONE,
    "carry": ActionItemStatus.CARRIED,
    "drop": ActionItemStatus.DROPPED,
}


@transaction.atomic
def retro_action_item_review(
    *, item: RetroActionItem, retro: Retro, outcome: str
) -> RetroActionItem | None:
    """Closes an open item of an earlier retro as done, dropped or carried over.

    Carrying over opens a copy in ``retro``, returned. Reviewing an item twice (two
    people clicking at once) is refused: the status only changes from open.
    """
    if outcome not in REVIEW_OUTCOMES:
        raise ValidationError("Choose done, carry over or drop.")
    origin = item.retro
    if origin.team_id != retro.team_id or origin.starts_at >= retro.starts_at:
        raise ValidationError("Only items of an earlier retro are reviewed here.")
    claimed = RetroActionItem.objects.filter(pk=item.pk, status=ActionItemStatus.OPEN).update(
        status=REVIEW_OUTCOMES[outcome], reviewed_in=retro
    )
    if not claimed:
        raise ValidationError("Someone has reviewed this item already.")
    item.refresh_from_db()
    carried = None
    if outcome == "carry":
        carried = RetroActionItem.objects.create(
            retro=retro,
            text=item.text,
            owner=item.owner,
            due_date=item.due_date,
            carried_from=item,
            created_by=item.created_by,
        )
    _board_changed(retro)
    return carried


# -- Calendar ---------------------------------------------------------------------------


@transaction.atomic
def team_calendar_rotate(*, team: Team) -> TeamCalendar:
    """A new secret address for the team's calendar feed; the old one stops working."""
    calendar, _ = TeamCalendar.objects.update_or_create(
        team=team,
        defaults={"token": secrets.token_urlsafe(24), "rotated_at": timezone.now()},
    )
    return calendar
