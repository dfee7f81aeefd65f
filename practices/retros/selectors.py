"""Reads for retros: each returns what a page needs in a fixed number of queries."""

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from practices.models import (
    CONTRIBUTING_ROLES,
    RETRO_DOTS_PER_MEMBER,
    RETRO_LONGEST_MINUTES,
    ActionItemStatus,
    Membership,
    Retro,
    RetroActionItem,
    RetroCard,
    RetroCardGroup,
    RetroColumn,
    RetroVote,
    Team,
    TeamCalendar,
)
from practices.teams.selectors import membership_get_for_user

PAST_RETROS_SHOWN = 10
CALENDAR_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A retro that started longer ago than the charter's longest retro has ended.
LONGEST_RETRO = timedelta(minutes=RETRO_LONGEST_MINUTES)


def retro_get_for_user(*, slug: str, pk: int, user: AbstractBaseUser) -> tuple[Membership, Retro]:
    """The user's membership of team ``slug`` and its retro ``pk``; 404 for outsiders."""
    membership = membership_get_for_user(slug=slug, user=user)
    try:
        retro = Retro.objects.get(team=membership.team, pk=pk)
    except Retro.DoesNotExist:
        raise Http404("No such retro.") from None
    retro.team = membership.team
    return membership, retro


def retro_card_get(*, retro: Retro, pk: int) -> RetroCard:
    try:
        card = RetroCard.objects.select_related("group").get(retro=retro, pk=pk)
    except RetroCard.DoesNotExist:
        raise Http404("No such card.") from None
    card.retro = retro
    return card


def retro_action_item_get(*, team: Team, pk: int) -> RetroActionItem:
    try:
        return RetroActionItem.objects.select_related("retro").get(retro__team=team, pk=pk)
    except RetroActionItem.DoesNotExist:
        raise Http404("No such action item.") from None


def retro_list_upcoming(*, team: Team, now: datetime | None = None) -> list[Retro]:
    """Retros that have not ended yet, soonest first (skipped ones included)."""
    now = now or timezone.now()
    retros = Retro.objects.filter(team=team, starts_at__gt=now - LONGEST_RETRO).order_by(
        "starts_at"
    )
    return [r for r in retros if r.ends_at > now]


def retro_list_past(*, team: Team, now: datetime | None = None) -> list[Retro]:
    now = now or timezone.now()
    retros = Retro.objects.filter(team=team, starts_at__lte=now, skipped=False).order_by(
        "-starts_at"
    )[: PAST_RETROS_SHOWN + 1]
    return [r for r in retros if r.ends_at <= now][:PAST_RETROS_SHOWN]


def retro_previous(*, retro: Retro) -> Retro | None:
    """The last retro held before this one (skipped ones were not held)."""
    return (
        Retro.objects.filter(team=retro.team_id, starts_at__lt=retro.starts_at, skipped=False)
        .order_by("-starts_at")
        .first()
    )


@dataclass
class CardView:
    card: RetroCard
    votes: int = 0
    my_vote: bool = False
    can_delete: bool = False


@dataclass
class GroupView:
    group: RetroCardGroup
    cards: list[CardView] = field(default_factory=list)

    @property
    def votes(self) -> int:
        return sum(c.votes for c in self.cards)


@dataclass
class ColumnView:
    key: str
    label: str
    groups: list[GroupView] = field(default_factory=list)
    cards: list[CardView] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.cards) + sum(len(g.cards) for g in self.groups)


@dataclass
class Board:
    retro: Retro
    columns: list[ColumnView]
    dots_left: int
    action_items: list[RetroActionItem]
    review_items: list[RetroActionItem]

    @property
    def dots_total(self) -> int:
        return RETRO_DOTS_PER_MEMBER


def retro_action_items_for_review(*, retro: Retro) -> QuerySet[RetroActionItem]:
    """Open items of the team's earlier retros: what this retro opens by reviewing."""
    return (
        RetroActionItem.objects.filter(
            retro__team=retro.team_id,
            retro__starts_at__lt=retro.starts_at,
            status=ActionItemStatus.OPEN,
        )
        .select_related("owner", "retro")
        .order_by("retro__starts_at", "created_at", "id")
    )


def retro_board_get(
    *,
    retro: Retro,
    user: AbstractBaseUser,
    membership: Membership,
    anonymous_card_ids: frozenset[int] = frozenset(),
    now: datetime | None = None,
) -> Board:
    """The board as ``user`` sees it: the author of an anonymous card shows to nobody.

    A card offers "Delete" to what the service allows: its author while the board is
    open, a lead always.
    """
    board_open = retro.board_is_open(now or timezone.now())
    cards = list(RetroCard.objects.filter(retro=retro).select_related("author"))
    groups = list(RetroCardGroup.objects.filter(retro=retro))
    votes = list(RetroVote.objects.filter(retro=retro).values_list("card_id", "voter_id"))
    per_card: dict[int, int] = defaultdict(int)
    mine: set[int] = set()
    for card_id, voter_id in votes:
        per_card[card_id] += 1
        if voter_id == user.pk:
            mine.add(card_id)

    columns = {key: ColumnView(key=key, label=label) for key, label in RetroColumn.choices}
    group_views = {g.pk: GroupView(group=g) for g in groups}
    for card in cards:
        card.retro = retro
        view = CardView(
            card=card,
            votes=per_card[card.pk],
            my_vote=card.pk in mine,
            can_delete=membership.is_lead or (board_open and card.is_own(user, anonymous_card_ids)),
        )
        if card.group_id in group_views:
            group_views[card.group_id].cards.append(view)
        elif card.column in columns:
            columns[card.column].cards.append(view)
    for group_view in group_views.values():
        if group_view.cards and group_view.group.column in columns:
            columns[group_view.group.column].groups.append(group_view)
    for column in columns.values():
        column.groups.sort(key=lambda g: (-g.votes, g.group.pk))
        column.cards.sort(key=lambda c: (-c.votes, c.card.pk))

    action_items = list(
        RetroActionItem.objects.filter(retro=retro).select_related("owner", "carried_from")
    )
    return Board(
        retro=retro,
        columns=list(columns.values()),
        dots_left=RETRO_DOTS_PER_MEMBER - len(mine),
        action_items=action_items,
        review_items=list(retro_action_items_for_review(retro=retro)),
    )


def retro_owner_choices(*, team: Team) -> list[AbstractBaseUser]:
    """People who can own an action item: the team's leads and members."""
    memberships = (
        Membership.objects.filter(team=team, role__in=CONTRIBUTING_ROLES)
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )
    return [m.user for m in memberships]


def team_calendar_get(*, team: Team) -> TeamCalendar | None:
    return TeamCalendar.objects.filter(team=team).first()


def team_calendar_get_by_token(*, token: str) -> TeamCalendar:
    """The calendar of the secret address ``token``; 404 for an unknown or old token."""
    # Tokens are URL-safe base64; anything else (a NUL byte, which PostgreSQL refuses
    # in a text lookup) cannot be one.
    if not CALENDAR_TOKEN.fullmatch(token):
        raise Http404("No such calendar.")
    try:
        return TeamCalendar.objects.select_related("team").get(token=token)
    except TeamCalendar.DoesNotExist:
        raise Http404("No such calendar.") from None


def retro_list_for_calendar(*, team: Team, now: datetime | None = None) -> QuerySet[Retro]:
    """The retros a calendar shows: the upcoming ones and the last few held."""
    now = now or timezone.now()
    past = retro_list_past(team=team, now=now)
    since = past[-1].starts_at if past else now
    # Skipped ones too, marked cancelled, so subscribed calendars drop them.
    return Retro.objects.filter(team=team, starts_at__gte=since).order_by("starts_at")
