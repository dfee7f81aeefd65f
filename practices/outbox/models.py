"""The outbox: tasks a committed write asked for, kept until they have run."""

from django.db import models


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
