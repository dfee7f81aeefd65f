"""Retros: each occurrence, its board (cards, groups, dots), its action items, and the
team's calendar feed address."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse

from practices.dates import STORED_BEFORE
from practices.teams.models import Team, validate_time_zone

RETRO_BOARD_GRACE = timedelta(hours=2)


class Retro(models.Model):
    """One occurrence of a team's retrospective.

    ``slot_at`` is the time the charter's cadence gives (UTC); it identifies the
    occurrence so a rescheduling run finds it again. ``starts_at`` is when it really
    happens: the slot, unless a lead moved this one occurrence.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="retros")
    slot_at = models.DateTimeField()
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    skipped = models.BooleanField(default=False)
    moved = models.BooleanField(default=False)
    # Bumped by every change to the board, so a polling page asks "anything new?" cheaply.
    board_version = models.PositiveIntegerField(default=0)
    # The calendar event's SEQUENCE (its UID never changes): raised by every change a
    # calendar must follow (start, length, skipped or not), at ``changed_at``.
    sequence = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["team", "slot_at"], name="retro_one_per_slot"),
            models.CheckConstraint(
                condition=models.Q(starts_at__lt=STORED_BEFORE), name="retro_starts_at_readable"
            ),
        ]
        indexes = [models.Index(fields=["team", "starts_at"], name="retro_team_starts")]

    def __str__(self) -> str:
        return f"{self.team} retro {self.starts_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("practices:retro_board", kwargs={"slug": self.team.slug, "pk": self.pk})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.tzinfo)

    @property
    def ends_at(self):
        return self.starts_at + timedelta(minutes=self.duration_minutes)

    @property
    def board_closes_at(self):
        # Cards and dots are taken until a while after the end: meetings run over.
        return self.ends_at + RETRO_BOARD_GRACE

    def board_is_open(self, now) -> bool:
        return not self.skipped and now < self.board_closes_at

    def has_started(self, now) -> bool:
        return self.starts_at <= now

    @property
    def calendar_state(self) -> tuple:
        """What a calendar shows of this retro: when it starts, how long, whether held."""
        return (self.starts_at, self.duration_minutes, self.skipped)

    def calendar_changed_since(self, state: tuple, *, now) -> bool:
        """Raises the sequence if the calendar state differs from ``state``; True if so."""
        if self.calendar_state == state:
            return False
        self.sequence += 1
        self.changed_at = now
        return True


class RetroColumn(models.TextChoices):
    WENT_WELL = "went_well", "Went well"
    TO_IMPROVE = "to_improve", "To improve"
    IDEAS = "ideas", "Ideas"


class RetroCardGroup(models.Model):
    retro = models.ForeignKey(Retro, on_delete=models.CASCADE, related_name="groups")
    column = models.CharField(max_length=16, choices=RetroColumn.choices)
    title = models.CharField(max_length=120)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.title


class RetroCard(models.Model):
    """A card on a retro board.

    An anonymous card stores no author at all (``author`` is null), so nobody — a
    lead, an admin or the database — can tell who wrote it.
    """

    retro = models.ForeignKey(Retro, on_delete=models.CASCADE, related_name="cards")
    column = models.CharField(max_length=16, choices=RetroColumn.choices)
    text = models.TextField(max_length=1000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    anonymous = models.BooleanField(default=False)
    group = models.ForeignKey(
        RetroCardGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="cards"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(anonymous=False) | models.Q(author__isnull=True),
                name="retro_card_anonymous_has_no_author",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]

    def is_own(self, user, anonymous_card_ids) -> bool:
        """Written by ``user``: as its author, or (anonymous) by the browser that holds
        its id in the signed cookie ``anonymous_card_ids``."""
        return self.author_id == user.pk or (self.anonymous and self.pk in anonymous_card_ids)


RETRO_DOTS_PER_MEMBER = 3
RETRO_LONGEST_MINUTES = 480  # the charter's longest retro


class RetroVote(models.Model):
    """One dot a member put on a card.

    Each member has ``RETRO_DOTS_PER_MEMBER`` numbered dots per retro; a vote takes a
    free dot number. The unique (retro, voter, dot) key and the range check make the
    limit hold even when two clicks race.
    """

    retro = models.ForeignKey(Retro, on_delete=models.CASCADE, related_name="votes")
    card = models.ForeignKey(RetroCard, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    dot = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["retro", "voter", "dot"], name="retro_vote_one_per_dot"
            ),
            models.UniqueConstraint(fields=["card", "voter"], name="retro_vote_one_per_card"),
            models.CheckConstraint(
                condition=models.Q(dot__gte=1, dot__lte=RETRO_DOTS_PER_MEMBER),
                name="retro_vote_dot_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"dot {self.dot} on {self.card_id}"


class ActionItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    CARRIED = "carried", "Carried over"
    DROPPED = "dropped", "Dropped"


class RetroActionItem(models.Model):
    """Something the team agreed to do at a retro; the next retro reviews it.

    Carrying an item over closes it here (status ``carried``) and opens a copy in the
    retro that reviewed it, so each retro keeps the record of what it decided.
    """

    retro = models.ForeignKey(Retro, on_delete=models.CASCADE, related_name="action_items")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=ActionItemStatus.choices, default=ActionItemStatus.OPEN
    )
    reviewed_in = models.ForeignKey(
        Retro, null=True, blank=True, on_delete=models.SET_NULL, related_name="reviewed_items"
    )
    carried_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["retro", "status"], name="retro_action_status")]

    def __str__(self) -> str:
        return self.text


class TeamCalendar(models.Model):
    """The secret address of a team's calendar feed; rotating it replaces the token."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="calendar")
    token = models.CharField(max_length=64, unique=True)
    rotated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.team} calendar"
