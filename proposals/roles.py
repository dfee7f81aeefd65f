"""Who drives or approves what is still in progress: listed and handed over for the
members page, through ``practices.registries`` (registered in ``ProposalsConfig.ready()``).

Open means a proposal in draft or open for input (its driver opens, edits, closes and
withdraws it; its approver decides) and a design page not yet obsolete (its driver edits
it, asks for reviews and retires it).
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q

from practices.models import Team
from practices.registries import OpenRole, RoleSource
from practices.web import person_name
from proposals.models import DesignPage, Event, PageEvent, PageStatus, Proposal, Status
from proposals.services.approvers import APPROVER_VOTE_WITHDRAWN, approver_votes_withdraw

OPEN_PROPOSAL = (Status.DRAFT, Status.OPEN)


def _open_proposals(team: Team):
    return Proposal.objects.filter(team=team, status__in=OPEN_PROPOSAL)


def _open_pages(team: Team):
    return DesignPage.objects.filter(team=team).exclude(status=PageStatus.OBSOLETE)


def open_roles_list(*, team: Team) -> list[OpenRole]:
    """Every open role in the team: two queries, whatever the number of proposals."""
    roles = []
    for p in _open_proposals(team).values("number", "title", "driver_id", "approver_id"):
        url = Proposal(team=team, number=p["number"]).get_absolute_url()
        code = f"DACI-{p['number']}"
        roles.append(OpenRole(p["driver_id"], "drives", code, p["title"], url))
        roles.append(OpenRole(p["approver_id"], "approves", code, p["title"], url))
    for p in _open_pages(team).values("number", "title", "driver_id"):
        url = DesignPage(team=team, number=p["number"]).get_absolute_url()
        roles.append(OpenRole(p["driver_id"], "drives", f"Design #{p['number']}", p["title"], url))
    return sorted(roles, key=lambda r: (r.code.startswith("Design"), r.code, r.what))


def open_roles_hand_over(
    *, team: Team, from_user_id: int, to_user: AbstractBaseUser, actor: AbstractBaseUser
) -> int:
    """Moves ``from_user_id``'s open roles to ``to_user``, each with a line on the timeline
    of what it moved. Runs in the caller's transaction; the rows are locked first, so a
    driver editing at the same moment either finishes before or is refused after."""
    from_user = get_user_model().objects.filter(pk=from_user_id).first()
    moved_from = f"from {person_name(from_user)} to {person_name(to_user)}"
    locked = list(
        _open_proposals(team)
        .select_for_update()
        .filter(Q(driver_id=from_user_id) | Q(approver_id=from_user_id))
        .order_by("pk")
    )
    approving = [p.pk for p in locked if p.approver_id == from_user_id]
    withdrawn = approver_votes_withdraw(proposals=approving, approver=to_user)
    events = []
    for proposal in locked:
        if proposal.driver_id == from_user_id:
            proposal.driver = to_user
            events.append(Event(proposal=proposal, actor=actor, kind=Event.Kind.HANDED_OVER,
                                detail=f"driving {moved_from}"[:300]))  # fmt: skip
        if proposal.approver_id == from_user_id:
            proposal.approver = to_user
            note = APPROVER_VOTE_WITHDRAWN if proposal.pk in withdrawn else ""
            events.append(Event(proposal=proposal, actor=actor, kind=Event.Kind.HANDED_OVER,
                                detail=f"approving {moved_from}{note}"[:300]))  # fmt: skip
    Proposal.objects.bulk_update(locked, ["driver", "approver"])
    Event.objects.bulk_create(events)
    pages = list(
        _open_pages(team).select_for_update().filter(driver_id=from_user_id).order_by("pk")
    )
    for page in pages:
        page.driver = to_user
    DesignPage.objects.bulk_update(pages, ["driver"])
    PageEvent.objects.bulk_create(
        PageEvent(
            page=page,
            actor=actor,
            kind=PageEvent.Kind.HANDED_OVER,
            version=page.version,
            detail=f"handed the page over {moved_from}",
        )
        for page in pages
    )
    return len(events) + len(pages)


ROLE_SOURCE = RoleSource(key="proposals", list=open_roles_list, hand_over=open_roles_hand_over)
