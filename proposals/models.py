"""DACI proposals, their options, votes, discussion and decision; design pages and reviews."""

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from practices.dates import STORED_BEFORE
from practices.models import CharterRevision, Team
from practices.revisions import RevisionFields

User = settings.AUTH_USER_MODEL

# Voting on a new proposal closes a week later at the end of the working day, in the
# team's time zone, unless the driver picks another time.
DUE_AFTER = dt.timedelta(days=7)
DUE_TIME = dt.time(17, 0)


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for input"
    DECIDED = "decided", "Decided"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"
    SUPERSEDED = "superseded", "Superseded"


class Impact(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class ObjectionKind(models.TextChoices):
    # Blocks first: they are what the approver must answer.
    BLOCK = "block", "Block"
    DISAGREE = "disagree", "Disagree"


class Proposal(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="proposals")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    impact = models.CharField(max_length=8, choices=Impact.choices, default=Impact.MEDIUM)
    driver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    contributors = models.ManyToManyField(User, blank=True, related_name="+")
    informed = models.ManyToManyField(User, blank=True, related_name="+")
    informed_emails = models.JSONField(default=list, blank=True)
    due_at = models.DateTimeField()
    background = models.TextField(blank=True)
    relevant_data = models.TextField(blank=True)
    hide_tally = models.BooleanField("hide the tally until each person has voted", default=False)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Voting closes at the due date (or earlier, by the driver); the approver then decides.
    voting_closed_at = models.DateTimeField(null=True, blank=True)
    close_record = models.JSONField(default=dict, blank=True)
    # The decision.
    chosen_option = models.ForeignKey(
        "Option", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rationale = models.TextField(blank=True)
    # The approver's answer to each block, keyed by ``block_key(voter_id, option_id)``:
    # every block must be answered.
    block_answers = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    review_on = models.DateField(null=True, blank=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    # A charter change carried by the proposal, applied when it is decided for.
    charter_section_key = models.CharField(max_length=32, blank=True)
    charter_data = models.JSONField(null=True, blank=True)
    charter_base_version = models.PositiveIntegerField(null=True, blank=True)
    charter_revision = models.ForeignKey(
        CharterRevision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Claimed before a notification is sent, so that a task run twice mails once.
    close_notified_at = models.DateTimeField(null=True, blank=True)
    outcome_notified_at = models.DateTimeField(null=True, blank=True)
    review_reminded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="proposal_number_per_team"),
            models.CheckConstraint(
                condition=Q(due_at__lt=STORED_BEFORE), name="proposal_due_at_readable"
            ),
        ]
        indexes = [
            models.Index(fields=["team", "status", "-number"], name="proposal_team_status"),
            models.Index(fields=["due_at"], name="proposal_open_due", condition=Q(status="open")),
            # The decision log: newest decision first, read a page at a time.
            models.Index(
                fields=["team", "-decided_at", "-number"],
                name="proposal_decision_log",
                condition=Q(status__in=["decided", "superseded"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("proposals:detail", kwargs={"slug": self.team.slug, "number": self.number})

    @property
    def code(self) -> str:
        return f"DACI-{self.number}"

    @property
    def is_voting(self) -> bool:
        return self.status == Status.OPEN and self.voting_closed_at is None


class Option(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="options")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    pros = models.TextField(blank=True)
    cons = models.TextField(blank=True)
    cost = models.CharField("cost / effort", max_length=200, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


def block_key(voter_id: int, option_id: int) -> str:
    """The key of a block in ``Proposal.block_answers``: a person may block several options."""
    return f"{voter_id}:{option_id}"


class Vote(models.Model):
    """A person's one current vote: the option they prefer, or none ("no preference").

    Objections (disagree, block) are rows of their own, so that objecting to an option
    never reads as support for it. Having a vote row is what "has voted" means.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="votes")
    voter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(
        Option, null=True, blank=True, on_delete=models.SET_NULL, related_name="votes"
    )
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "voter"], name="vote_one_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} prefers {self.option or 'nothing'}"


class Objection(models.Model):
    """One person's disagreement with, or block of, one option, and why."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="objections")
    voter = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    option = models.ForeignKey(Option, on_delete=models.CASCADE, related_name="objections")
    kind = models.CharField(max_length=8, choices=ObjectionKind.choices)
    reason = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "voter", "option"], name="objection_one_per_option"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ObjectionKind.values), name="objection_kind_valid"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="objection_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.voter} {self.kind}s {self.option}"

    @property
    def key(self) -> str:
        return block_key(self.voter_id, self.option_id)


class OutcomeOptOut(models.Model):
    """An address outside the team that asked for no more of the team's outcome emails."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "email"], name="outcome_opt_out_once"),
        ]

    def __str__(self) -> str:
        return f"{self.email} opted out of {self.team_id}"


class Comment(models.Model):
    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    mentions_notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.proposal_id}"


class Event(models.Model):
    """One entry of a proposal's timeline: who did what, when."""

    class Kind(models.TextChoices):
        CREATED = "created", "started the draft"
        OPENED = "opened", "opened it for input"
        VOTED = "voted", "voted"
        VOTE_CHANGED = "vote_changed", "changed their vote"
        CLOSED = "closed", "closed voting"
        REOPENED = "reopened", "reopened voting"
        APPROVER_CHANGED = "approver_changed", "changed the approver"
        DECIDED = "decided", "decided"
        DECLINED = "declined", "declined it"
        WITHDRAWN = "withdrawn", "withdrew it"
        SUPERSEDED = "superseded", "superseded it"
        HANDED_OVER = "handed_over", "handed over a role"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.proposal_id}"


class JiraState(models.TextChoices):
    NONE = "none", "Not in Jira"
    QUEUED = "queued", "Waiting to be created in Jira"
    CREATING = "creating", "Being created in Jira"
    CREATED = "created", "In Jira"
    FAILED = "failed", "Could not be created in Jira"


JIRA_PENDING = (JiraState.QUEUED, JiraState.CREATING)
# A claim older than this is abandoned (its worker died): it may be taken over. Well
# above the Jira task's hard time limit, so a live worker is never overtaken.
JIRA_CLAIM_STALE_AFTER = dt.timedelta(minutes=10)


class ActionItem(models.Model):
    """Something to do after a decision; it may be sent to Jira once, and stays linked.

    Its Jira ticket is created by a Celery task. ``jira_state`` moves none/failed →
    queued (the button) → creating (a worker's claim, at ``jira_claimed_at``) → created
    or failed, each step a conditional UPDATE. ``jira_marker`` is a label put on the
    ticket: a run that lost Jira's answer finds the ticket by it instead of creating
    another one.
    """

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="action_items")
    text = models.CharField(max_length=300)
    owner = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_on = models.DateField(null=True, blank=True)
    done = models.BooleanField(default=False)
    jira_state = models.CharField(max_length=10, choices=JiraState.choices, default=JiraState.NONE)
    jira_key = models.CharField(max_length=40, blank=True)
    jira_id = models.CharField(max_length=40, blank=True)
    jira_url = models.URLField(max_length=500, blank=True)
    jira_error = models.CharField(max_length=500, blank=True)
    jira_claimed_at = models.DateTimeField(null=True, blank=True)
    jira_marker = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(jira_state__in=JiraState.values), name="action_item_jira_state_valid"
            ),
            # Linked to a ticket exactly when created: "created" always says which one.
            models.CheckConstraint(
                condition=(Q(jira_state=JiraState.CREATED) & ~Q(jira_key=""))
                | (~Q(jira_state=JiraState.CREATED) & Q(jira_key="")),
                name="action_item_jira_key_iff_created",
            ),
            models.CheckConstraint(
                condition=~Q(jira_state__in=JIRA_PENDING) | Q(jira_claimed_at__isnull=False),
                name="action_item_jira_pending_is_claimed",
            ),
            # One Jira ticket (its URL names the site) is linked to one action item at most.
            models.UniqueConstraint(
                fields=["jira_url"], condition=~Q(jira_url=""), name="action_item_one_per_ticket"
            ),
            models.UniqueConstraint(
                fields=["jira_marker"],
                condition=~Q(jira_marker=""),
                name="action_item_jira_marker_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def jira_pending(self) -> bool:
        return self.jira_state in JIRA_PENDING

    @property
    def jira_stuck(self) -> bool:
        """Queued or claimed so long ago that its worker must have died: may be retried."""
        return (
            self.jira_pending
            and self.jira_claimed_at is not None
            and self.jira_claimed_at < timezone.now() - JIRA_CLAIM_STALE_AFTER
        )


class PageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    OBSOLETE = "obsolete", "Obsolete"


class DesignPage(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="design_pages")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=PageStatus.choices, default=PageStatus.DRAFT)
    proposal = models.OneToOneField(
        Proposal, null=True, blank=True, on_delete=models.SET_NULL, related_name="design_page"
    )
    driver = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The revision a lead approved when the review policy could not be met by the team
    # (see ``design_page_lead_approve``); a later revision goes back to normal review.
    lead_approved_version = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="design_page_number_per_team"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse(
            "proposals:page_detail", kwargs={"slug": self.team.slug, "number": self.number}
        )


class DesignPageRevision(RevisionFields):
    page = models.ForeignKey(DesignPage, on_delete=models.CASCADE, related_name="revisions")
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["page", "number"], name="design_revision_per_number"),
        ]

    def __str__(self) -> str:
        return f"{self.page_id} #{self.number}"


class Review(models.Model):
    class State(models.TextChoices):
        REQUESTED = "requested", "Waiting"
        APPROVED = "approved", "Approved"
        CHANGES = "changes", "Changes requested"

    page = models.ForeignKey(DesignPage, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=12, choices=State.choices, default=State.REQUESTED)
    comment = models.TextField(blank=True)
    # The page version the answer was given for; a newer revision makes it stale.
    version = models.PositiveIntegerField(null=True, blank=True)
    requested_at = models.DateTimeField(auto_now_add=True)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["page", "reviewer"], name="review_one_per_reviewer"),
        ]

    def __str__(self) -> str:
        return f"{self.reviewer} on {self.page_id}: {self.state}"


class PageEvent(models.Model):
    """One entry of a design page's timeline, beyond its revisions and reviews."""

    class Kind(models.TextChoices):
        LEAD_APPROVED = "lead_approved", "approved it as lead"
        HANDED_OVER = "handed_over", "handed it over"

    page = models.ForeignKey(DesignPage, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    # The page's revision when it happened.
    version = models.PositiveIntegerField()
    detail = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.page_id}"
