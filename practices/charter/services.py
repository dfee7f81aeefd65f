"""Writes to a team's charter: every saved change is a revision."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from practices.charter.sections import section_spec
from practices.models import CharterRevision, CharterSection
from practices.retros.services import retro_schedule
from practices.revisions import text_diff, version_claim


class NothingChanged(Exception):
    """The save would store what is stored already: no revision is written."""


class CharterConflict(Exception):
    """Someone saved the section after the version the editor started from."""

    def __init__(self, section: CharterSection) -> None:
        super().__init__(f"{section.key} changed since it was opened")
        self.section = section


@transaction.atomic
def charter_section_update(
    *,
    section: CharterSection,
    data: dict[str, Any],
    expected_version: int,
    author: AbstractBaseUser,
    message: str = "",
) -> CharterRevision:
    """Saves ``data`` as the section's next revision, if nobody saved it since ``expected_version``.

    Raises ``CharterConflict`` (and changes nothing) when the stored version moved on:
    the conditional UPDATE makes that true even for two saves at the same instant.
    A section never saved holds defaults nobody agreed to: saving them as they are is
    the team agreeing, so it is a revision (and, for the retros, books the retros).
    """
    spec = section_spec(section.key)
    if data == section.data and expected_version == section.version and section.version:
        raise NothingChanged
    now = timezone.now()
    new_version = expected_version + 1
    claimed = version_claim(
        CharterSection.objects,
        pk=section.pk,
        expected_version=expected_version,
        data=data,
        updated_at=now,
        updated_by=author,
    )
    if not claimed:
        section.refresh_from_db()
        raise CharterConflict(section)
    previous = (
        CharterRevision.objects.filter(section=section, number=expected_version)
        .only("text")
        .first()
    )
    previous_text = previous.text if previous else spec.text(section.data)
    text = spec.text(data)
    revision = CharterRevision.objects.create(
        team_id=section.team_id,
        section=section,
        section_key=section.key,
        number=new_version,
        data=data,
        text=text,
        diff=text_diff(previous_text, text),
        message=message,
        author=author,
        created_at=now,
    )
    section.data = data
    section.version = new_version
    section.updated_at = now
    section.updated_by = author
    if section.key == "retros":
        # A new cadence moves the upcoming retros now; the ones held stay as they were.
        retro_schedule(team=section.team, now=now)
    return revision
