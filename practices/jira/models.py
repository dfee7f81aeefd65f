"""A team's Jira connection, the tickets it syncs and the record of each sync."""

from django.db import models

from practices.teams.models import Team


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
