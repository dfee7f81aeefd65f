"""A team's charter: its sections and every saved revision of them."""

from django.conf import settings
from django.db import models

from practices.revisions import RevisionFields
from practices.teams.models import Team


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
