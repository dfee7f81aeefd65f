"""The count of a proposal's votes: support for each option, objections, turnout.

``proposals.selectors.proposals.proposal_page`` reads these for the page; nothing here
is cached (a vote changes them at once).
"""

from dataclasses import dataclass

from django.db.models import CharField, F, Value

from practices.models import CONTRIBUTING_ROLES, Membership
from practices.web import person_name_from
from proposals.models import Objection, ObjectionKind, Option, Proposal, Status, Vote, block_key


@dataclass(frozen=True)
class ObjectionRow:
    """An objection as a page shows it: who, to which option, how strongly, and why."""

    voter_id: int
    option_id: int
    kind: str
    reason: str
    voter_name: str

    @property
    def key(self) -> str:
        return block_key(self.voter_id, self.option_id)

    @property
    def is_block(self) -> bool:
        return self.kind == ObjectionKind.BLOCK


@dataclass
class Tally:
    option: Option
    support: int  # people who prefer this option; objections never add to it
    share: int  # percent of the votes cast, for the bar
    objections: list[ObjectionRow]  # blocks first, each with its reason

    @property
    def blocks(self) -> list[ObjectionRow]:
        return [o for o in self.objections if o.is_block]

    @property
    def disagrees(self) -> list[ObjectionRow]:
        return [o for o in self.objections if not o.is_block]


@dataclass(frozen=True)
class MyVote:
    """The reader's own vote: what fills the form to change it."""

    option_id: int | None
    reason: str
    objections: dict[int, ObjectionRow]  # by option id


def tally_visible(*, proposal: Proposal, has_voted: bool) -> bool:
    """Whether a person sees the tally and who voted what.

    A lead may hide them from those who have not voted while voting runs, so that
    earlier votes do not anchor theirs.
    """
    return (
        not proposal.hide_tally
        or has_voted
        or proposal.status != Status.OPEN
        or proposal.voting_closed_at is not None
    )


def eligible_voter_id_list(*, proposal: Proposal) -> list[int]:
    """Who may vote: the team's members and leads, except the approver, who decides."""
    return list(
        Membership.objects.filter(team=proposal.team_id, role__in=CONTRIBUTING_ROLES)
        .exclude(user=proposal.approver_id)
        .values_list("user_id", flat=True)
    )


def _turnout(proposal: Proposal, voted: set[int]) -> tuple[int, list[str]]:
    """How many people may vote, and the names of those not in ``voted``.

    The members and leads vote; the approver decides instead, so is not counted.
    Rows of columns rather than model instances: a big team lists everyone here.
    """
    rows = (
        Membership.objects.filter(team=proposal.team_id, role__in=CONTRIBUTING_ROLES)
        .exclude(user=proposal.approver_id)
        .order_by("user__first_name", "user__last_name", "user__email")
        .values_list("user_id", "user__first_name", "user__last_name", "user__email")
    )
    rows = list(rows)
    return len(rows), [
        person_name_from(*person) for user_id, *person in rows if user_id not in voted
    ]


def _votes_and_objections(proposal: Proposal) -> tuple[dict[int, int | None], list[ObjectionRow]]:
    """Each voter's preferred option (None: no preference), and every objection with its
    voter's name, blocks first then oldest first, in one query.

    A UNION of two narrow reads rather than two queries: the page reads both on every
    view, and its query count stays as it was before objections had a table.
    """
    blank = Value("", output_field=CharField())
    votes = (
        Vote.objects.filter(proposal=proposal.pk)
        .order_by()
        .annotate(kind=blank, why=blank, first=blank, last=blank, mail=blank, at=F("created_at"))
        .values_list("voter_id", "option_id", "kind", "why", "first", "last", "mail", "at")
    )
    objections = (
        Objection.objects.filter(proposal=proposal.pk)
        .order_by()
        .values_list(
            "voter_id",
            "option_id",
            "kind",
            "reason",
            "voter__first_name",
            "voter__last_name",
            "voter__email",
            "created_at",
        )
    )
    preferences: dict[int, int | None] = {}
    rows = []
    for voter_id, option_id, kind, reason, first, last, email, at in votes.union(
        objections, all=True
    ):
        if kind:
            rows.append((kind != ObjectionKind.BLOCK, at, voter_id, option_id, kind, reason, first,
                         last, email))  # fmt: skip
        else:
            preferences[voter_id] = option_id
    rows.sort(key=lambda row: row[:3])
    return preferences, [
        ObjectionRow(voter_id, option_id, kind, reason, person_name_from(first, last, email))
        for _later, _at, voter_id, option_id, kind, reason, first, last, email in rows
    ]


def my_vote_get(
    *,
    proposal: Proposal,
    user,
    preferences: dict[int, int | None],
    objections: list[ObjectionRow],
) -> MyVote | None:
    """The reader's vote, or None if they have not voted."""
    if user.pk not in preferences:
        return None
    # The reason of a preference fills the form to change it; read only then.
    reason = ""
    if proposal.is_voting:
        reason = proposal.votes.filter(voter=user).values_list("reason", flat=True).get()
    return MyVote(
        option_id=preferences[user.pk],
        reason=reason,
        objections={o.option_id: o for o in objections if o.voter_id == user.pk},
    )


def tally_count(
    *,
    options: list[Option],
    preferences: dict[int, int | None],
    objections: list[ObjectionRow],
) -> tuple[list[Tally], int]:
    """Each option's support, share and objections, and how many voted with no preference."""
    vote_count = len(preferences)
    support: dict[int | None, int] = {}
    for option_id in preferences.values():
        support[option_id] = support.get(option_id, 0) + 1
    tally = [
        Tally(
            option=o,
            support=support.get(o.pk, 0),
            share=round(100 * support.get(o.pk, 0) / (vote_count or 1)),
            objections=[row for row in objections if row.option_id == o.pk],
        )
        for o in options
    ]
    return tally, support.get(None, 0)
