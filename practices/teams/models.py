"""Teams, their members and the roles they hold."""

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse


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
