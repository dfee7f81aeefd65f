"""What a proposal's writers hand to the services, and the checks every write makes of it.

The input dataclasses are re-exported by ``proposals.services.proposals``, so that
``services.OptionInput`` keeps reading as it always has.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError

from practices.models import CONTRIBUTING_ROLES, Membership, Team
from proposals.models import ObjectionKind, Proposal


@dataclass(frozen=True)
class OptionInput:
    title: str
    description: str = ""
    pros: str = ""
    cons: str = ""
    cost: str = ""


@dataclass(frozen=True)
class ObjectionInput:
    """An objection to one option: ``kind`` is disagree or block; the reason is required."""

    option_id: int
    kind: str
    reason: str


@dataclass(frozen=True)
class ActionItemInput:
    text: str
    owner: AbstractBaseUser | None = None
    due_on: dt.date | None = None


def _roles(team: Team, users) -> dict[int, str]:
    ids = [user.pk for user in users if user is not None]
    return dict(
        Membership.objects.filter(team=team, user_id__in=ids).values_list("user_id", "role")
    )


def _check_people(*, team: Team, driver, approver, contributors, informed) -> None:
    roles = _roles(team, [driver, approver, *contributors, *informed])
    errors = {}
    if roles.get(driver.pk) not in CONTRIBUTING_ROLES:
        errors["driver"] = "The driver must be a member or lead of the team."
    if roles.get(approver.pk) not in CONTRIBUTING_ROLES:
        errors["approver"] = "The approver must be a member or lead of the team."
    if any(roles.get(user.pk) not in CONTRIBUTING_ROLES for user in contributors):
        errors["contributors"] = "Contributors must be members or leads of the team."
    if any(user.pk not in roles for user in informed):
        errors["informed"] = "Informed people must be in the team; add outsiders by email."
    if errors:
        raise ValidationError(errors)


def _check_options(options: list[OptionInput]) -> None:
    titles = [option.title.strip() for option in options if option.title.strip()]
    if len(titles) < 2:
        raise ValidationError(
            {"options": "Give at least two options: a decision needs an alternative."}
        )
    if len(set(map(str.lower, titles))) != len(titles):
        raise ValidationError({"options": "Two options have the same title."})


def _check_objections(
    proposal: Proposal, option_id: int | None, objections: Sequence[ObjectionInput]
) -> list[ObjectionInput]:
    option_ids = set(proposal.options.values_list("pk", flat=True))
    if option_id is not None and option_id not in option_ids:
        raise ValidationError({"option": "Pick one of this proposal's options, or no preference."})
    seen, clean = set(), []
    for objection in objections:
        if objection.option_id not in option_ids or objection.option_id in seen:
            raise ValidationError({"objections": "Object to this proposal's options, once each."})
        if objection.kind not in ObjectionKind.values:
            raise ValidationError({"objections": "An objection is a disagree or a block."})
        if objection.option_id == option_id:
            raise ValidationError(
                {"objections": "You cannot prefer an option and object to it too."}
            )
        if not objection.reason.strip():
            raise ValidationError({"objections": "Say why: each objection needs a reason."})
        seen.add(objection.option_id)
        clean.append(ObjectionInput(objection.option_id, objection.kind, objection.reason.strip()))
    return clean
