"""Teams, memberships and the team charter with its revisions."""

import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from practices.dates import STORED_BEFORE
from practices.revisions import RevisionFields


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            "%(value)s is not a time zone we know; use a name such as Europe/Berlin.",
            params={"value": value},
        )


class Team(models.Model):
    name = models.CharField(max_length=80)
    slug = models.SlugField(
        max_length=40,
        unique=True,
        help_text="Short name used in addresses and email subjects, e.g. pay.",
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("practices:charter", kwargs={"slug": self.slug})

    @property
    def tzinfo(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class Role(models.TextChoices):
    LEAD = "lead", "Lead"
    MEMBER = "member", "Member"
    OBSERVER = "observer", "Observer"


# The roles that take part in the team's work: vote, review, write on the retro board and
# get reminded of it. Observers read along.
CONTRIBUTING_ROLES = (Role.LEAD, Role.MEMBER)


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    is_senior = models.BooleanField("senior", default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Claimed before the invitation email is sent, so a task run twice mails once.
    invitation_sent_at = models.DateTimeField(null=True, blank=True)
    # Who added them: the invitation email says so.
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="membership_one_per_team_user"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.team} ({self.role})"

    @property
    def is_lead(self) -> bool:
        return self.role == Role.LEAD

    @property
    def takes_part(self) -> bool:
        """A lead or member: votes, reviews, writes on the board. Observers only read."""
        return self.role in CONTRIBUTING_ROLES


class CharterSection(models.Model):
    """The current content of one section of a team's charter.

    ``data`` holds the section's structured fields, validated by the section's form
    (see ``practices.charter``). ``version`` counts saved revisions and is the
    optimistic lock: a save names the version it started from.
    """

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="charter_sections")
    key = models.CharField(max_length=32)
    data = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="charter_section_one_per_key"),
        ]

    def __str__(self) -> str:
        return f"{self.team} / {self.key}"


class CharterRevision(RevisionFields):
    """One saved change of a charter section: who, when, why, and what changed."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="charter_revisions")
    section = models.ForeignKey(CharterSection, on_delete=models.CASCADE, related_name="revisions")
    section_key = models.CharField(max_length=32)
    data = models.JSONField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["section", "number"], name="charter_revision_one_per_number"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "-created_at", "-id"], name="charter_rev_team_recent")
        ]

    def __str__(self) -> str:
        return f"{self.section_key} #{self.number}"


# -- Jira ------------------------------------------------------------------------------


class JiraDeployment(models.TextChoices):
    CLOUD = "cloud", "Jira Cloud"
    DATA_CENTER = "dc", "Jira Data Center or Server"


class JiraConnection(models.Model):
    """A team's Jira site, the filter of tickets it syncs, and the state of its syncs.

    The token is stored only encrypted (see ``practices.jira.crypto``). The sync lease
    (``lease_token`` with ``lease_expires_at``) makes sure one sync at a time runs for
    the connection, even across hosts, and frees itself if its holder dies.
    """

    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="jira_connection")
    base_url = models.URLField("site address", max_length=200)
    deployment = models.CharField(max_length=8, choices=JiraDeployment.choices)
    email = models.EmailField(blank=True)
    token_encrypted = models.TextField()
    jql = models.TextField("JQL filter", max_length=2000)
    sync_interval_minutes = models.PositiveSmallIntegerField(default=5)
    # None: the statuses whose name contains "review"; a list once a lead has chosen.
    review_statuses = models.JSONField(null=True, blank=True)

    needs_attention = models.BooleanField(default=False)
    attention_message = models.CharField(max_length=500, blank=True)
    account_name = models.CharField(max_length=255, blank=True)
    account_time_zone = models.CharField(max_length=64, blank=True)
    # The largest ``updated`` stored so far: where the next incremental sync starts.
    high_water_mark = models.DateTimeField(null=True, blank=True)
    next_sync_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)
    # Set when the filter changes: the next run reads everything and marks what left.
    full_sync_pending = models.BooleanField(default=False)
    lease_token = models.CharField(max_length=32, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["next_sync_at"], name="jira_conn_next_sync")]

    def __str__(self) -> str:
        return f"{self.team} → {self.base_url}"

    @property
    def is_cloud(self) -> bool:
        return self.deployment == JiraDeployment.CLOUD

    def review_status_names(self, known: list[str]) -> list[str]:
        """The statuses that mean "in review": the lead's choice, else those named so."""
        if self.review_statuses is not None:
            return list(self.review_statuses)
        return [name for name in known if "review" in name.lower()]


class StatusCategory(models.TextChoices):
    # Jira's own three categories (statusCategory.key), plus its catch-all.
    TO_DO = "new", "To do"
    IN_PROGRESS = "indeterminate", "In progress"
    DONE = "done", "Done"
    UNDEFINED = "undefined", "No category"


class JiraTicket(models.Model):
    """The local copy of one Jira ticket, keyed on Jira's id (a moved ticket keeps it)."""

    connection = models.ForeignKey(JiraConnection, on_delete=models.CASCADE, related_name="tickets")
    jira_id = models.BigIntegerField()
    key = models.CharField(max_length=64)
    summary = models.TextField()
    issue_type = models.CharField(max_length=100)
    status = models.CharField(max_length=100)
    status_category = models.CharField(max_length=16, choices=StatusCategory.choices)
    priority = models.CharField(max_length=100, blank=True)
    assignee_account_id = models.CharField(max_length=128, blank=True)
    assignee_name = models.CharField(max_length=255, blank=True)
    reporter_account_id = models.CharField(max_length=128, blank=True)
    reporter_name = models.CharField(max_length=255, blank=True)
    # Space-separated and space-padded (" api billing "): Jira labels never hold spaces,
    # so a label filter is one portable LIKE on every database.
    labels = models.TextField(blank=True)
    components = models.JSONField(default=list)
    created = models.DateTimeField()
    updated = models.DateTimeField()
    resolved = models.DateTimeField(null=True, blank=True)
    status_entered_at = models.DateTimeField()
    url = models.URLField(max_length=500)
    # Deleted in Jira or moved out of the filter, as the last full sync found.
    gone = models.BooleanField(default=False)
    synced_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "jira_id"], name="jira_ticket_one_per_jira_id"
            ),
        ]
        indexes = [
            models.Index(
                fields=["connection", "-updated"],
                condition=models.Q(gone=False),
                name="jira_ticket_recent",
            ),
            models.Index(
                fields=["connection", "status_category", "-updated"],
                condition=models.Q(gone=False),
                name="jira_ticket_category",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.summary}"

    @property
    def label_list(self) -> list[str]:
        return self.labels.split()


class JiraSyncOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    PARTIAL = "partial", "Succeeded, some tickets skipped"
    FAILED = "failed", "Failed"
    RATE_LIMITED = "rate_limited", "Rate limited by Jira"
    NEEDS_ATTENTION = "needs_attention", "Needs attention"
    INTERRUPTED = "interrupted", "Interrupted"


class JiraSyncRun(models.Model):
    """One sync of one connection: what it fetched and wrote, and how it ended."""

    connection = models.ForeignKey(JiraConnection, on_delete=models.CASCADE, related_name="runs")
    full = models.BooleanField(default=False)
    trigger = models.CharField(max_length=16)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=JiraSyncOutcome.choices, default=JiraSyncOutcome.RUNNING
    )
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    # [{"ticket": "PAY-7", "error": "…"}, …] for tickets skipped as malformed (capped).
    ticket_errors = models.JSONField(default=list)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["connection", "-started_at"], name="jira_run_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.connection.team} sync {self.started_at:%Y-%m-%d %H:%M} {self.outcome}"

    @property
    def failed(self) -> bool:
        return self.outcome in FAILED_OUTCOMES

    @property
    def seconds(self) -> float | None:
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()


FAILED_OUTCOMES = frozenset(
    {
        JiraSyncOutcome.FAILED,
        JiraSyncOutcome.RATE_LIMITED,
        JiraSyncOutcome.NEEDS_ATTENTION,
        JiraSyncOutcome.INTERRUPTED,
    }
)


# -- Retros ----------------------------------------------------------------------------

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


# -- Reminders -------------------------------------------------------------------------


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


class OutboxMessage(models.Model):
    """A Celery task that a committed write asked for, kept until the task has run.

    Written in the same transaction as the change that wants the task (a comment and
    its mention email), so the intent is never lost when the broker is down: the
    request publishes it right after the commit, or beat's relay does once the broker
    is back. A claim (``claimed_at`` + ``claim_token``, by a conditional UPDATE) keeps
    two publishers off one row. The row stays after publishing (``published_at``) and
    the task, given its id, takes a lease on it while it runs (``lease_until``) and
    deletes it when done; a row whose task never started (a broker that forgot it) or
    whose lease ran out (a worker killed mid-send) is published again by the relay
    (see ``practices.outbox``).
    """

    task = models.CharField(max_length=200)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    # While a row with this key waits, asking again adds nothing ("sync now" twice).
    key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    # When the broker last took the task (null: never yet). In the future after a
    # retry was scheduled, so the relay does not overtake Celery's own countdown.
    published_at = models.DateTimeField(null=True, blank=True)
    # A running task's claim: past the task's hard time limit (plus a margin) no live
    # worker holds it, so a copy published again by the relay may take it.
    lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["key"], condition=~models.Q(key=""), name="outbox_one_per_key"
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="outbox_oldest"),
            models.Index(fields=["claim_token"], name="outbox_claim"),
        ]

    def __str__(self) -> str:
        return f"{self.task}{tuple(self.args)} ({self.attempts} tries)"
