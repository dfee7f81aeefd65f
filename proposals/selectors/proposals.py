"""Reads for proposals: lists, the page of one proposal, mentions."""

import re
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from practices.models import JiraConnection, Membership, Team
from proposals.models import (
    ActionItem,
    Comment,
    DesignPage,
    Event,
    Option,
    Proposal,
    Stance,
    Status,
    Vote,
)
from proposals.selectors.access import VOTING_ROLES, can_send_action_items_to_jira

MENTION = re.compile(r"(?<![\w.])@([a-z0-9][a-z0-9._-]{0,63})", re.IGNORECASE)


def mentioned_users(*, team: Team, body: str) -> list:
    """Team members named as ``@handle`` in ``body``; a handle is their email's local part."""
    handles = {match.lower() for match in MENTION.findall(body)}
    if not handles:
        return []
    members = Membership.objects.filter(team=team).select_related("user")
    return [m.user for m in members if m.user.email.split("@", 1)[0].lower() in handles]


def proposal_list(
    *, team: Team, status: str = "", query: str = "", needs_vote_of=None
) -> QuerySet[Proposal]:
    """The team's proposals, newest first, with what a list row shows, in one query.

    The vote count is a correlated subquery rather than a join and GROUP BY: it is then
    worked out for the rows of the page only, and the paginator's COUNT leaves it out.
    """
    votes = (
        Vote.objects.filter(proposal=OuterRef("pk"))
        .order_by()
        .values("proposal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    proposals = (
        Proposal.objects.filter(team=team)
        .select_related("driver", "approver")
        .annotate(vote_count=Coalesce(Subquery(votes), 0))
    )
    if status:
        proposals = proposals.filter(status=status)
    if query:
        proposals = proposals.filter(
            Q(title__icontains=query)
            | Q(background__icontains=query)
            | Q(options__title__icontains=query)
        ).distinct()
    if needs_vote_of is not None:
        proposals = proposals.filter(status=Status.OPEN, voting_closed_at__isnull=True).exclude(
            votes__voter=needs_vote_of
        )
    return proposals.order_by("-number")


def decision_log(*, team: Team) -> QuerySet[Proposal]:
    """Decided (and later superseded) proposals, newest decision first: why things are so."""
    return (
        Proposal.objects.filter(team=team, status__in=[Status.DECIDED, Status.SUPERSEDED])
        .select_related("chosen_option", "decided_by", "superseded_by")
        .order_by("-decided_at", "-number")
    )


@dataclass
class Tally:
    option: Option
    count: int
    stances: dict[str, int]
    share: int  # percent of the votes cast, for the bar


@dataclass
class ProposalPage:
    options: list[Option]
    votes: list[Vote]
    my_vote: Vote | None
    tally: list[Tally]
    tally_visible: bool
    not_voted: list
    eligible_count: int
    comments: list[Comment]  # top-level, each with .thread (replies)
    comment_count: int
    events: list[Event]  # oldest first; the newest TIMELINE_EVENTS unless all are asked for
    earlier_events: bool
    action_items: list[ActionItem]
    blocks: list[Vote]
    design_page: object | None
    supersedes: list[Proposal]
    contributors: list
    informed: list
    earlier_threads: int  # older top-level comments not shown unless asked for


# A page shows people by name: their password hash and sign-in dates need not be loaded
# (and parsed) for each of the hundreds of people a busy proposal names.
UNSHOWN_USER_FIELDS = ("password", "last_login", "date_joined")


def _unshown(*relations: str) -> list[str]:
    return [f"{relation}__{name}" for relation in relations for name in UNSHOWN_USER_FIELDS]


DISCUSSION_THREADS = 30
TIMELINE_EVENTS = 20  # the newest threads shown at first; the rest on request


def _daci_people(proposal: Proposal) -> tuple[list, list]:
    """Contributors and informed members, in one query."""
    User = Proposal.contributors.field.related_model
    contributor = Proposal.contributors.through.objects.filter(
        proposal=proposal, user=OuterRef("pk")
    )
    informed = Proposal.informed.through.objects.filter(proposal=proposal, user=OuterRef("pk"))
    ids = Proposal.contributors.through.objects.filter(proposal=proposal).values("user_id")
    informed_ids = Proposal.informed.through.objects.filter(proposal=proposal).values("user_id")
    people = list(
        User.objects.filter(Q(pk__in=ids) | Q(pk__in=informed_ids))
        .annotate(is_contributor=Exists(contributor), is_informed=Exists(informed))
        .order_by("first_name", "last_name", "email")
    )
    return [u for u in people if u.is_contributor], [u for u in people if u.is_informed]


def proposal_page(
    *, proposal: Proposal, user, all_comments: bool = False, all_events: bool = False
) -> ProposalPage:
    """Everything the proposal page shows, in a fixed number of queries.

    Only a decided (or superseded) proposal has action items, a design page or
    proposals it supersedes, so those are not asked for before.
    """
    options = list(proposal.options.all())
    by_id = {o.pk: o for o in options}
    votes = list(
        proposal.votes.select_related("voter").defer(*_unshown("voter")).order_by("updated_at")
    )
    for vote in votes:
        vote.option = by_id[vote.option_id]
    my_vote = next((v for v in votes if v.voter_id == user.pk), None)
    counts: dict[int, dict[str, int]] = {o.pk: {} for o in options}
    for vote in votes:
        stances = counts.setdefault(vote.option_id, {})
        stances[vote.stance] = stances.get(vote.stance, 0) + 1
    total = len(votes) or 1
    tally = [
        Tally(
            option=o,
            count=sum(counts[o.pk].values()),
            stances=counts[o.pk],
            share=round(100 * sum(counts[o.pk].values()) / total),
        )
        for o in options
    ]
    memberships = list(
        Membership.objects.filter(team=proposal.team_id, role__in=VOTING_ROLES)
        .select_related("user")
        .defer(*_unshown("user"))
    )
    voted = {v.voter_id for v in votes}
    discussion = proposal.comments.aggregate(
        total=Count("pk"), threads=Count("pk", filter=Q(parent__isnull=True))
    )
    earlier = 0 if all_comments else max(0, discussion["threads"] - DISCUSSION_THREADS)
    # The threads shown (the newest ones unless all are asked for) with their replies.
    shown = proposal.comments.filter(parent__isnull=True).order_by("-pk").values("pk")
    if not all_comments:
        shown = shown[:DISCUSSION_THREADS]
    comments = list(
        proposal.comments.filter(Q(pk__in=shown) | Q(parent__in=shown))
        .select_related("author")
        .defer(*_unshown("author"))
        .order_by("pk")
    )
    threads: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id:
            threads.setdefault(comment.parent_id, []).append(comment)
    top = [c for c in comments if not c.parent_id]
    for comment in top:
        comment.thread = threads.get(comment.pk, [])
    decided = proposal.status in (Status.DECIDED, Status.SUPERSEDED)
    design_page = (
        DesignPage.objects.filter(proposal=proposal).only("pk", "number", "title", "status").first()
        if decided
        else None
    )
    contributors, informed = _daci_people(proposal)
    events = proposal.events.select_related("actor").defer(*_unshown("actor"))
    if all_events:
        events = list(events)
    else:
        # One more than shown tells whether there are earlier ones.
        events = list(events.order_by("-created_at", "-pk")[: TIMELINE_EVENTS + 1])[::-1]
    earlier_events = len(events) > TIMELINE_EVENTS and not all_events
    return ProposalPage(
        options=options,
        votes=votes,
        my_vote=my_vote,
        tally=tally,
        tally_visible=not proposal.hide_tally
        or my_vote is not None
        or proposal.status != Status.OPEN
        or proposal.voting_closed_at is not None,
        not_voted=[m.user for m in memberships if m.user_id not in voted],
        eligible_count=len(memberships),
        comments=top,
        comment_count=discussion["total"],
        events=events[1:] if earlier_events else events,
        earlier_events=earlier_events,
        action_items=list(proposal.action_items.select_related("owner")) if decided else [],
        blocks=[v for v in votes if v.stance == Stance.BLOCK],
        design_page=design_page,
        supersedes=list(proposal.supersedes.only("pk", "number", "title", "team_id"))
        if decided
        else [],
        contributors=contributors,
        informed=informed,
        earlier_threads=earlier,
    )


def action_item_jira_enabled(*, proposal: Proposal, membership: Membership) -> bool:
    """Whether this person sees "Create in Jira": a decided proposal, a lead or its driver
    or approver, and a team with a Jira site."""
    return (
        proposal.status == Status.DECIDED
        and can_send_action_items_to_jira(membership=membership, proposal=proposal)
        and JiraConnection.objects.filter(team=proposal.team_id).exists()
    )
