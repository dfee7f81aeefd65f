"""Reads for proposals: lists, the page of one proposal, mentions."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from practices.models import CONTRIBUTING_ROLES, JiraConnection, Membership, Team
from practices.web import person_name_from
from proposals.models import (
    DUE_AFTER,
    DUE_TIME,
    ActionItem,
    Comment,
    Event,
    Objection,
    ObjectionKind,
    Option,
    Proposal,
    Status,
    Vote,
)
from proposals.selectors.access import can_send_action_items_to_jira
from proposals.selectors.page_cache import page_cached, page_key
from proposals.selectors.tally import (
    MyVote,
    ObjectionRow,
    Tally,
    _turnout,
    _votes_and_objections,
    my_vote_get,
    tally_count,
    tally_visible,
)

# Read as ``selectors.tally_visible`` (the votes view), ``selectors.MyVote`` and so on.
__all__ = ["MyVote", "ObjectionRow", "Tally", "tally_visible"]

MENTION = re.compile(r"(?<![\w.])@([a-z0-9][a-z0-9._-]{0,63})", re.IGNORECASE)


def proposal_due_default(*, team: Team) -> dt.datetime:
    """When voting on a proposal started now closes unless the driver says otherwise."""
    day = timezone.localtime(timezone.now(), team.tzinfo).date() + DUE_AFTER
    return dt.datetime.combine(day, DUE_TIME, tzinfo=team.tzinfo)


def mentioned_users(*, team: Team, body: str) -> list:
    """Team members named as ``@handle`` in ``body``; a handle is their email's local part."""
    handles = {match.lower() for match in MENTION.findall(body)}
    if not handles:
        return []
    members = Membership.objects.filter(team=team).select_related("user")
    return [m.user for m in members if m.user.email.split("@", 1)[0].lower() in handles]


# What a row of the proposals list shows.
LIST_COLUMNS = ("team_id", "number", "title", "status", "voting_closed_at", "due_at", "impact")


def _names(*relations: str) -> list[str]:
    """The user columns a page shows as a name, for ``only()``."""
    return [f"{r}__{name}" for r in relations for name in ("first_name", "last_name", "email")]


def _count(queryset: QuerySet) -> Coalesce:
    """A correlated COUNT(*) of ``queryset`` (filtered on an ``OuterRef``), 0 when empty."""
    counted = queryset.order_by().annotate(one=Value(1)).values("one")
    counted = counted.annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def proposal_list(
    *, team: Team, status: str = "", query: str = "", needs_vote_of=None
) -> QuerySet[Proposal]:
    """The team's proposals, newest first, with what a list row shows, in one query.

    Each row carries its turnout (``vote_count`` of ``voter_count``: the members and
    leads who may vote, the approver aside) and whether anyone blocks an option
    (``blocked``). These are correlated subqueries rather than a join and GROUP BY:
    they are then worked out for the rows of the page only, and the paginator's COUNT
    leaves them out. Only the columns a row shows are read: the rest (background,
    rationale, the charter change) is most of a proposal's bytes, and reading it made
    the query several times slower.
    """
    proposals = (
        Proposal.objects.filter(team=team)
        .select_related("driver", "approver")
        .only(*LIST_COLUMNS, *_names("driver", "approver"))
        .annotate(
            vote_count=_count(Vote.objects.filter(proposal=OuterRef("pk"))),
            voter_count=_count(
                Membership.objects.filter(
                    team=OuterRef("team_id"), role__in=CONTRIBUTING_ROLES
                ).exclude(user=OuterRef("approver_id"))
            ),
            blocked=Exists(
                Objection.objects.filter(proposal=OuterRef("pk"), kind=ObjectionKind.BLOCK)
            ),
        )
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
        # The approver decides rather than votes: nothing waits for their vote.
        proposals = (
            proposals.filter(status=Status.OPEN, voting_closed_at__isnull=True)
            .exclude(votes__voter=needs_vote_of)
            .exclude(approver=needs_vote_of)
        )
    return proposals.order_by("-number")


def decision_log(*, team: Team) -> QuerySet[Proposal]:
    """Decided (and later superseded) proposals, newest decision first: why things are so.

    Only the columns an entry shows are read (see ``proposal_list``).
    """
    return (
        Proposal.objects.filter(team=team, status__in=[Status.DECIDED, Status.SUPERSEDED])
        .select_related("chosen_option", "decided_by", "superseded_by")
        .only(
            "team_id",
            "number",
            "title",
            "status",
            "rationale",
            "decided_at",
            "review_on",
            "chosen_option__title",
            "superseded_by__number",
            *_names("decided_by"),
        )
        .order_by("-decided_at", "-number")
    )


@dataclass
class ProposalPage:
    options: list[Option]
    vote_count: int
    my_vote: MyVote | None
    tally: list[Tally]
    tally_visible: bool
    no_preference: int  # people who voted without preferring an option
    not_voted: list[str]  # names of eligible members who have not voted
    eligible_count: int
    stamp: "PageStamp"
    action_items: list[ActionItem]
    blocks: list[ObjectionRow]
    design_page: object | None
    team_has_jira: bool  # asked only for a decided proposal, which may send its items
    # Whether the reader approved another decided proposal of the team: the one way,
    # besides being a lead, to mark this one superseded.
    approves_another_decision: bool
    supersedes: list[Proposal]
    contributors: list[str]  # names
    informed: list[str]


@dataclass(frozen=True)
class PageStamp:
    """How many comments and timeline events a proposal has, and the newest of each.

    Both are only ever added to, never changed or removed, so these numbers name their
    content exactly: a rendering of the discussion or the timeline made for one stamp
    is right for as long as the stamp stays the same.
    """

    comment_count: int
    thread_count: int
    last_comment_id: int
    event_count: int
    last_event_id: int

    def earlier_threads(self, *, all_comments: bool) -> int:
        """Older threads left out unless all are asked for."""
        return 0 if all_comments else max(0, self.thread_count - DISCUSSION_THREADS)

    def earlier_events(self, *, all_events: bool) -> bool:
        return not all_events and self.event_count > TIMELINE_EVENTS


# A page shows people by name: their password hash and sign-in dates need not be loaded
# (and parsed) for each of the hundreds of people a busy proposal names.
UNSHOWN_USER_FIELDS = ("password", "last_login", "date_joined")


def _unshown(*relations: str) -> list[str]:
    return [f"{relation}__{name}" for relation in relations for name in UNSHOWN_USER_FIELDS]


# What the page shows at first, newest first; the rest on request.
DISCUSSION_THREADS = 30  # threads, each with all its replies
TIMELINE_EVENTS = 20


def _daci_people(proposal: Proposal) -> tuple[list[str], list[str]]:
    """The names of the contributors and of the informed members, in one query."""
    name = ("user__first_name", "user__last_name", "user__email")
    contributors = (
        Proposal.contributors.through.objects.filter(proposal=proposal.pk)
        .annotate(contributor=Value(True))
        .values_list("contributor", *name)
    )
    informed = (
        Proposal.informed.through.objects.filter(proposal=proposal.pk)
        .annotate(contributor=Value(False))
        .values_list("contributor", *name)
    )
    rows = sorted(contributors.union(informed, all=True), key=lambda row: row[1:])
    return (
        [person_name_from(*person) for contributor, *person in rows if contributor],
        [person_name_from(*person) for contributor, *person in rows if not contributor],
    )


def _decision(
    proposal: Proposal, options: dict[int, Option], user
) -> tuple[object | None, bool, bool]:
    """Attach the chosen option, who decided and what superseded a decided proposal, and
    return its design page, whether the team has a Jira site and whether ``user``
    approved another of the team's decisions (which may supersede this one), in one
    query."""
    if proposal.chosen_option_id in options:
        proposal.chosen_option = options[proposal.chosen_option_id]
    decided = (
        Proposal.objects.filter(pk=proposal.pk)
        .select_related("decided_by", "superseded_by", "design_page")
        .only(
            "decided_by",
            "superseded_by",
            *_names("decided_by"),
            "superseded_by__number",
            "superseded_by__team_id",
            "design_page__number",
            "design_page__title",
            "design_page__status",
        )
        .annotate(
            team_has_jira=Exists(JiraConnection.objects.filter(team=proposal.team_id)),
            approves_another=Exists(
                Proposal.objects.filter(
                    team=proposal.team_id, status=Status.DECIDED, approver=user.pk
                ).exclude(pk=proposal.pk)
            ),
        )
        .get()
    )
    proposal.decided_by = decided.decided_by
    if decided.superseded_by is not None and decided.superseded_by.team_id == proposal.team_id:
        decided.superseded_by.team = proposal.team
    proposal.superseded_by = decided.superseded_by
    design_page = getattr(decided, "design_page", None)  # the reverse side may be missing
    return design_page, decided.team_has_jira, decided.approves_another


def _stamp(proposal: Proposal) -> PageStamp:
    """The proposal's ``PageStamp``, in one query.

    Written as SQL: the ORM takes several times longer to build five scalar subqueries
    than the database takes to answer them, and this runs on every view of the page.
    Only our own table and column names are formatted in; the id is a parameter.
    """
    quote = connection.ops.quote_name
    comments, events = quote(Comment._meta.db_table), quote(Event._meta.db_table)
    proposal_id, parent_id, pk = quote("proposal_id"), quote("parent_id"), quote("id")
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {comments} WHERE {proposal_id} = %s),"  # noqa: S608  # nosec B608
        f" (SELECT COUNT(*) FROM {comments} WHERE {proposal_id} = %s AND {parent_id} IS NULL),"
        f" (SELECT COALESCE(MAX({pk}), 0) FROM {comments} WHERE {proposal_id} = %s),"
        f" (SELECT COUNT(*) FROM {events} WHERE {proposal_id} = %s),"
        f" (SELECT COALESCE(MAX({pk}), 0) FROM {events} WHERE {proposal_id} = %s)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [proposal.pk] * 5)
        return PageStamp(*cursor.fetchone())


def proposal_threads(*, proposal: Proposal, all_comments: bool = False) -> list[Comment]:
    """The discussion's threads, oldest first, each with ``.thread`` (its replies).

    The newest DISCUSSION_THREADS threads unless all are asked for; one query.
    """
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
    return top


def proposal_events(*, proposal: Proposal, all_events: bool = False) -> list[Event]:
    """The timeline, oldest first: the newest TIMELINE_EVENTS unless all are asked for."""
    events = proposal.events.select_related("actor").defer(*_unshown("actor"))
    if all_events:
        return list(events)
    return list(events.order_by("-created_at", "-pk")[:TIMELINE_EVENTS])[::-1]


@dataclass(frozen=True)
class _Summary:
    options: list[Option]
    contributors: list[str]
    informed: list[str]


def _summary(proposal: Proposal) -> _Summary:
    """The options and the DACI people, cached under the proposal's update time.

    Both change only by editing the proposal (``proposal_update``, or the admin), which
    saves the proposal and so moves ``updated_at``. The options are read on their own,
    not through ``proposal.options``, so that they do not carry the proposal into the
    cache.
    """

    def read() -> _Summary:
        options = list(Option.objects.filter(proposal=proposal.pk))
        return _Summary(options, *_daci_people(proposal))

    key = page_key(proposal, "summary", proposal.updated_at.timestamp())
    return page_cached(key, read)


@dataclass(frozen=True)
class _Decision:
    design_page: object | None
    team_has_jira: bool
    approves_another: bool
    action_items: list[ActionItem]
    supersedes: list[Proposal]
    blocks: list[ObjectionRow]


def _page_decision(
    proposal: Proposal, options: list[Option], user, objections: list[ObjectionRow], with_blocks
) -> _Decision:
    """What only a decided (or superseded) proposal has; empty before, with no query.

    Blocks come with a decided proposal (with their answers) or to be answered
    (``with_blocks``).
    """
    blocks = [o for o in objections if o.is_block]
    if proposal.status not in (Status.DECIDED, Status.SUPERSEDED):
        return _Decision(None, False, False, [], [], blocks if with_blocks else [])
    design_page, team_has_jira, approves_another = _decision(
        proposal, {o.pk: o for o in options}, user
    )
    return _Decision(
        design_page=design_page,
        team_has_jira=team_has_jira,
        approves_another=approves_another,
        action_items=list(proposal.action_items.select_related("owner")),
        supersedes=list(
            proposal.supersedes.only("pk", "number", "title", "team_id", "superseded_by")
        ),
        blocks=blocks,
    )


def proposal_page(*, proposal: Proposal, user, with_blocks: bool = False) -> ProposalPage:
    """Everything the proposal page shows, in a fixed number of queries.

    The tally is counted by the database, whatever the number of votes; who voted what
    is read on request (``proposal_votes``), and so are the discussion and the timeline
    (``proposal_threads``, ``proposal_events``): the page's ``stamp`` says whether a
    rendering of them made earlier still holds. Only a decided (or superseded) proposal
    has a decision, action items, a design page or proposals it supersedes, so those are
    not asked for before. Block votes come with a decided proposal, or when
    ``with_blocks`` asks for them (deciding answers them).
    """
    summary = _summary(proposal)
    preferences, objections = _votes_and_objections(proposal)
    my_vote = my_vote_get(
        proposal=proposal, user=user, preferences=preferences, objections=objections
    )
    tally, no_preference = tally_count(
        options=summary.options, preferences=preferences, objections=objections
    )
    eligible_count, not_voted = _turnout(proposal, set(preferences))
    decision = _page_decision(proposal, summary.options, user, objections, with_blocks)
    return ProposalPage(
        options=summary.options,
        vote_count=len(preferences),
        my_vote=my_vote,
        tally=tally,
        tally_visible=tally_visible(proposal=proposal, has_voted=my_vote is not None),
        no_preference=no_preference,
        not_voted=not_voted,
        eligible_count=eligible_count,
        stamp=_stamp(proposal),
        action_items=decision.action_items,
        blocks=decision.blocks,
        design_page=decision.design_page,
        team_has_jira=decision.team_has_jira,
        approves_another_decision=decision.approves_another,
        supersedes=decision.supersedes,
        contributors=summary.contributors,
        informed=summary.informed,
    )


def proposal_votes(*, proposal: Proposal) -> list[Vote]:
    """Every vote on the proposal with its voter, preferred option and objections (as
    ``.objection_list``), in the order they were cast; two queries."""
    votes = list(
        proposal.votes.select_related("voter", "option")
        .defer(*_unshown("voter"))
        .order_by("created_at", "pk")
    )
    objections: dict[int, list[Objection]] = {}
    for objection in (
        Objection.objects.filter(proposal=proposal.pk)
        .select_related("option")
        .order_by("kind", "pk")
    ):
        objections.setdefault(objection.voter_id, []).append(objection)
    for vote in votes:
        vote.objection_list = objections.get(vote.voter_id, [])
    return votes


def action_item_jira_enabled(
    *, proposal: Proposal, membership: Membership, team_has_jira: bool | None = None
) -> bool:
    """Whether this person sees "Create in Jira": a decided proposal, a lead or its driver
    or approver, and a team with a Jira site (asked unless ``team_has_jira`` says)."""
    return (
        proposal.status == Status.DECIDED
        and can_send_action_items_to_jira(membership=membership, proposal=proposal)
        and (
            team_has_jira
            if team_has_jira is not None
            else JiraConnection.objects.filter(team=proposal.team_id).exists()
        )
    )


def team_for_opt_out(*, team_id: int, slug: str) -> Team | None:
    """The team an outcome opt-out link names, if the address's slug still agrees."""
    return Team.objects.filter(pk=team_id, slug=slug).first()
