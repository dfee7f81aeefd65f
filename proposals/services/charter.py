"""Proposals that carry a charter edit: what the draft says, and applying it once decided."""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from practices.charter import services as charter_services
from practices.charter.sections import section_spec
from practices.models import CharterRevision, CharterSection
from practices.revisions import diff_hunks, text_diff
from proposals.models import Proposal
from proposals.selectors.proposals import proposal_due_default
from proposals.services.inputs import OptionInput


def charter_change_draft(*, section: CharterSection, data: dict[str, Any]) -> dict[str, Any]:
    """The title, due date, options and change of a draft that proposes ``data``.

    ``proposals.services.proposals.charter_change_propose`` passes them to
    ``proposal_create``; they live here so that this module never imports that one,
    which imports ``charter_change_apply`` from here.
    """
    spec = section_spec(section.key)
    change = "\n".join(
        f"{tag} {line}"
        for tag, line in diff_hunks(text_diff(spec.text(section.data), spec.text(data)))
    )
    return {
        "title": f"Charter: change {spec.title.lower()}"[:200],
        "due_at": proposal_due_default(team=section.team),
        "options": [
            OptionInput(title="Adopt the change", description=f"```diff\n{change}\n```"),
            OptionInput(title="Keep the charter as it is"),
        ],
        "charter_change": (section, data),
    }


def charter_change_apply(*, proposal: Proposal, actor: AbstractBaseUser) -> CharterRevision:
    """Saves the edit the decided ``proposal`` carries as a new charter revision.

    Refused when the section changed since the proposal was written: the team voted on
    a diff against that version, not against what is there now.
    """
    section = CharterSection.objects.get(team=proposal.team, key=proposal.charter_section_key)
    try:
        return charter_services.charter_section_update(
            section=section,
            data=proposal.charter_data,
            expected_version=proposal.charter_base_version,
            author=actor,
            message=f"{proposal.code}: {proposal.title}"[:200],
        )
    except charter_services.CharterConflict:
        raise ValidationError(
            "The charter section this proposal changes was edited after the proposal was "
            "written. The driver should propose the change again from the current charter."
        ) from None
