"""Whether the charter's code review policy can be met by the people the team has now.

A policy such as "1 senior approval" deadlocks when the only senior drives the page
under review: nobody else may approve it. The charter warns about it when a lead saves
the section, and a design page in that state says why it is stuck; both read it here
(``proposals`` imports this module, never the other way round).
"""

from collections.abc import Iterable
from typing import Any

from practices.charter.sections import section_spec
from practices.models import CharterSection, Membership, Team
from practices.web import person_name


def code_review_data(*, team: Team) -> dict[str, Any]:
    """The team's stored code review section, with the section's defaults filled in.

    One query; the design pages (``proposals``) read their review policy from it too.
    """
    stored = (
        CharterSection.objects.filter(team=team, key="code_review")
        .values_list("data", flat=True)
        .first()
    )
    return section_spec("code_review").with_defaults(stored or {})


def _name(membership: Membership) -> str:
    return person_name(membership.user)


def _names(memberships: list[Membership]) -> str:
    names = sorted(_name(m) for m in memberships)
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _eligible(data: dict[str, Any], memberships: Iterable[Membership]) -> list[Membership]:
    """Everyone whose approval could count under the policy, whatever page they review."""
    seniors_only = data.get("kind") == "approvals" and bool(data.get("seniors_only"))
    return [m for m in memberships if m.takes_part and (m.is_senior or not seniors_only)]


def _needed(data: dict[str, Any]) -> int:
    if data.get("kind") == "approvals":
        return max(1, int(data.get("required_approvals") or 1))
    return 1


def review_policy_stuck_reason(
    *, data: dict[str, Any], memberships: Iterable[Membership], driver_id: int
) -> str:
    """Why a page driven by ``driver_id`` cannot be approved by anyone in the team now,
    or "" when the policy can still be met. ``data`` is the code review section's data
    (with its defaults); self-approval after a cool-down never deadlocks."""
    if data.get("kind") == "self_after_cooldown":
        return ""
    memberships = list(memberships)
    eligible = _eligible(data, memberships)
    others = [m for m in eligible if m.user_id != driver_id]
    needed = _needed(data)
    if len(others) >= needed:
        return ""
    senior = "senior " if data.get("kind") == "approvals" and data.get("seniors_only") else ""
    if data.get("kind") == "consensus":
        rule = "The policy needs at least one reviewer besides the driver"
    else:
        rule = f"The policy asks for {_plural(needed, f'{senior}approval')}"
    if senior and not others and any(m.user_id == driver_id for m in eligible):
        return (
            f"{rule}, and the driver is the team's only senior: nobody else can approve this page."
        )
    kind = "senior members or leads" if senior else "members or leads"
    have = f"only {len(others)} ({_names(others)})" if others else "none"
    return f"{rule} from {kind} other than the driver, and the team has {have}."


def review_policy_warning(*, team: Team, data: dict[str, Any] | None = None) -> str:
    """What a lead saving the code review section (``data``), or changing someone's role
    (the stored section), should know: the pages that the policy would leave without
    anyone able to approve them, with the team's current members. "" when every member's
    page can be approved."""
    if data is None:
        data = code_review_data(team=team)
    if data.get("kind") == "self_after_cooldown":
        return ""
    memberships = list(Membership.objects.filter(team=team).select_related("user"))
    eligible = _eligible(data, memberships)
    needed = _needed(data)
    senior = "senior " if data.get("kind") == "approvals" and data.get("seniors_only") else ""
    if data.get("kind") == "consensus":
        rule = "Every design page needs at least one reviewer besides its driver"
    else:
        rule = f"Every design page needs {_plural(needed, f'{senior}approval')}"
    fix = (
        "Mark someone senior on the members page, or choose a policy the team can meet."
        if senior
        else "Add someone to the team, or choose a policy the team can meet."
    )
    if len(eligible) < needed:
        have = _plural(len(eligible), f"{senior}member or lead" if senior else "reviewer")
        have = have.replace("member or leads", "members or leads")
        return f"{rule}, and the team has {have}: no page can be approved. {fix}"
    if len(eligible) == needed:
        # Each of them drives pages that only the others could approve: one short.
        return (
            f"{rule} from people other than its driver, and the team has only {len(eligible)} "
            f"({_names(eligible)}): a page driven by {_names(eligible)} cannot be approved. "
            f"{fix}"
        )
    return ""
