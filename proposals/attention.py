"""What waits for a person in proposals, for the coming inbox (``practices.registries``).

Each source reads every team the person is in with one query, whatever the number of
proposals, pages or teams.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from practices.models import CONTRIBUTING_ROLES, Team
from practices.registries import AttentionItem, AttentionSource
from proposals.models import PageStatus, Proposal, Review, Status


def _taking_part(user: AbstractBaseUser, teams: list[Team], prefix: str = "") -> dict:
    # Only leads and members act; an observer has nothing waiting (their role counts now).
    return {
        f"{prefix}team__in": teams,
        f"{prefix}team__memberships__user": user,
        f"{prefix}team__memberships__role__in": CONTRIBUTING_ROLES,
    }


def votes_due_list(*, user: AbstractBaseUser, teams: list[Team]) -> list[AttentionItem]:
    """Open proposals the person may vote on and has not; the approver decides instead."""
    proposals = (
        Proposal.objects.filter(
            status=Status.OPEN, voting_closed_at__isnull=True, **_taking_part(user, teams)
        )
        .exclude(approver=user)
        .exclude(votes__voter=user)
        .select_related("team")
        .order_by("due_at", "pk")
    )
    return [
        AttentionItem(
            kind="vote",
            team_id=p.team_id,
            title=f"{p.code} {p.title}",
            reason="Your vote is due.",
            url=p.get_absolute_url(),
            due_at=p.due_at,
            key=f"proposals:vote:{p.pk}",
        )
        for p in proposals
    ]


def decisions_to_make_list(*, user: AbstractBaseUser, teams: list[Team]) -> list[AttentionItem]:
    """Proposals the person approves whose voting has closed: theirs to decide."""
    proposals = (
        Proposal.objects.filter(
            status=Status.OPEN,
            voting_closed_at__isnull=False,
            approver=user,
            **_taking_part(user, teams),
        )
        .select_related("team")
        .order_by("voting_closed_at", "pk")
    )
    return [
        AttentionItem(
            kind="decision",
            team_id=p.team_id,
            title=f"{p.code} {p.title}",
            reason="Voting has closed: you are the approver, decide.",
            url=p.get_absolute_url(),
            due_at=None,
            key=f"proposals:decide:{p.pk}",
        )
        for p in proposals
    ]


def reviews_waiting_list(*, user: AbstractBaseUser, teams: list[Team]) -> list[AttentionItem]:
    """Design pages in review that wait for the person's answer on their current revision
    (what the page list's "Needs my review" shows)."""
    reviews = (
        Review.objects.filter(
            reviewer=user, page__status=PageStatus.IN_REVIEW, **_taking_part(user, teams, "page__")
        )
        .exclude(
            version=F("page__version"), state__in=[Review.State.APPROVED, Review.State.CHANGES]
        )
        .select_related("page__team")
        .order_by("requested_at", "pk")
    )
    return [
        AttentionItem(
            kind="review",
            team_id=r.page.team_id,
            title=f"Design #{r.page.number} {r.page.title}",
            reason=f"Your review of revision #{r.page.version} is waiting.",
            url=r.page.get_absolute_url(),
            due_at=None,
            key=f"proposals:review:{r.page_id}",
        )
        for r in reviews
    ]


VOTES_DUE = AttentionSource(key="proposals_votes_due", list=votes_due_list, order=10)
DECISIONS_TO_MAKE = AttentionSource(
    key="proposals_decisions_to_make", list=decisions_to_make_list, order=20
)
REVIEWS_WAITING = AttentionSource(
    key="proposals_reviews_waiting", list=reviews_waiting_list, order=30
)
