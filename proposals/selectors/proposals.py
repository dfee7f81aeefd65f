"""Reads for proposals: lists, the page of one proposal, mentions."""

import re
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from practices.models import Membership, Team
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
from proposals.selectors.access import VOTING_ROLES

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
    """The team's proposals, newest first, with what a list row shows, in one query."""
    proposals = (
        Proposal.objects.filter(team=team)
        .select_related("driver", "approver")
        .annotate(vote_count=Count("votes", distinct=True))
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
    events: list[Event]
    action_items: list[ActionItem]
    blocks: list[Vote]
    design_page: object | None
    supersedes: list[Proposal]


def proposal_page(*, proposal: Proposal, user) -> ProposalPage:
    """Everything the proposal page shows, in a fixed number of queries."""
    options = list(proposal.options.all())
    votes = list(proposal.votes.select_related("voter", "option").order_by("updated_at"))
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
        Membership.objects.filter(team=proposal.team_id, role__in=VOTING_ROLES).select_related(
            "user"
        )
    )
    voted = {v.voter_id for v in votes}
    comments = list(proposal.comments.select_related("author"))
    threads: dict[int, list[Comment]] = {}
    for comment in comments:
        if comment.parent_id:
            threads.setdefault(comment.parent_id, []).append(comment)
    top = [c for c in comments if not c.parent_id]
    for comment in top:
        comment.thread = threads.get(comment.pk, [])
    design_page = (
        DesignPage.objects.filter(proposal=proposal).only("pk", "number", "title", "status").first()
    )
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
        comment_count=len(comments),
        events=list(proposal.events.select_related("actor")),
        action_items=list(proposal.action_items.select_related("owner")),
        blocks=[v for v in votes if v.stance == Stance.BLOCK],
        design_page=design_page,
        supersedes=list(proposal.supersedes.only("pk", "number", "title", "team_id")),
    )
