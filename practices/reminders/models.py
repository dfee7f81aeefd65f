"""Reminders: each one planned, how people want them, and beat's heartbeat."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from practices.teams.models import Team, validate_time_zone


class ReminderDelivery(models.TextChoices):
    NOW = "now", "Email right away"
    DIGEST = "digest", "In my daily digest"
    OFF = "off", "Off"


class ReminderState(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (turned off)"


class Reminder(models.Model):
    """One reminder email (or digest entry) for one person and occasion.

    The unique key (kind, object, person, occasion) makes "never twice" true whoever
    plans it: a second planner run, or two beat processes, insert nothing new. A worker
    claims the row (``claimed_at`` + ``claim_token``, by a conditional UPDATE) before
    sending and marks it sent once the mail server accepted; a claim older than the
    claim timeout was left by a crash and is taken again (see ``practices.reminders``).
    """

    kind = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    occasion = models.CharField(max_length=64)
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="reminders")
    delivery = models.CharField(max_length=8, choices=ReminderDelivery.choices)
    state = models.CharField(
        max_length=8, choices=ReminderState.choices, default=ReminderState.PENDING
    )
    # When the reminder fell due, and the earliest it may go out (a digest's hour, a backoff).
    due_at = models.DateTimeField()
    next_attempt_at = models.DateTimeField()
    queued_at = models.DateTimeField(null=True, blank=True)
    # The planner run that queued it: each run sends exactly the rows its UPDATE took.
    queue_token = models.CharField(max_length=32, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # What the finder knew when planning (e.g. the tickets of a stuck-in-review digest).
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "user", "occasion"],
                name="reminder_one_per_occasion",
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="reminder_pending_next",
            ),
            models.Index(
                fields=["queue_token"],
                condition=models.Q(state="pending"),
                name="reminder_pending_queue",
            ),
            models.Index(
                fields=["claim_token"],
                condition=models.Q(state="pending"),
                name="reminder_pending_claim",
            ),
            models.Index(fields=["team", "-created_at"], name="reminder_team_recent"),
            models.Index(fields=["user", "-created_at"], name="reminder_user_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.object_id} → {self.user_id} ({self.occasion}): {self.state}"


class ReminderPreference(models.Model):
    """How one person wants one kind of reminder; no row means the kind's default."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_preferences"
    )
    kind = models.CharField(max_length=32)
    delivery = models.CharField(max_length=8, choices=ReminderDelivery.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "kind"], name="reminder_preference_one_per_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.delivery}"


class ReminderProfile(models.Model):
    """A person's time zone for dates in reminders, and the hour of their daily digest."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminder_profile"
    )
    # Blank: the time zone of the team the reminder is about.
    time_zone = models.CharField(max_length=64, blank=True, validators=[validate_time_zone])
    digest_hour = models.PositiveSmallIntegerField(
        default=8, validators=[MinValueValidator(0), MaxValueValidator(23)]
    )

    def __str__(self) -> str:
        return f"{self.user_id}: {self.time_zone or 'team time'}, digest at {self.digest_hour}"


RETRO_REMINDER_DAYS_BEFORE = 3  # unless the team's lead chose otherwise
RETRO_REMINDER_MAX_DAYS_BEFORE = 14


class ReminderTeamSettings(models.Model):
    """A team's reminder settings, chosen by a lead."""

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="reminder_settings")
    retro_days_before = models.PositiveSmallIntegerField(
        "retro reminder, days before",
        default=RETRO_REMINDER_DAYS_BEFORE,
        validators=[MinValueValidator(1), MaxValueValidator(RETRO_REMINDER_MAX_DAYS_BEFORE)],
    )

    class Meta:
        verbose_name_plural = "reminder team settings"

    def __str__(self) -> str:
        return f"{self.team}: retro reminder {self.retro_days_before} days before"


class Heartbeat(models.Model):
    """The last tick of a periodic process (beat): a scheduler that stopped shows here."""

    name = models.CharField(max_length=32, unique=True)
    ticked_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.name} at {self.ticked_at:%Y-%m-%d %H:%M:%S}"
