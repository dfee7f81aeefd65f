"""Proposal reminders, registered with the reminder machinery of ``practices.reminders``.

- votes due: open proposals due within 48 hours, to eligible members who have not voted
  (the approver decides and is not asked to vote);
- reviews waiting: design pages in review, to requested reviewers who have not answered
  after the charter's review turnaround.

Each finder reads every team at once, in a fixed number of queries.
"""

from collections import defaultdict
from datetime import datetime, timedelta

from practices.emails import absolute_url
from practices.models import CONTRIBUTING_ROLES, Membership, Reminder
from practices.reminders.charter import review_turnaround_hours_map
from practices.reminders.kinds import Due, Kind, Link, Message
from practices.web import person_name
from proposals.models import DesignPage, PageStatus, Proposal, Review, Status, Vote

VOTES_DUE = "votes_due"
REVIEWS_WAITING = "reviews_waiting"
VOTE_WINDOW = timedelta(hours=48)


def _day(moment: datetime, zone) -> str:
    local = moment.astimezone(zone)
    return f"{local:%a} {local.day} {local:%b} at {local:%H:%M}"


# -- votes due ------------------------------------------------------------------------


def votes_due_find(*, now: datetime, until: datetime, team_ids=None) -> list[Due]:
    proposals = Proposal.objects.filter(
        status=Status.OPEN,
        voting_closed_at__isnull=True,
        due_at__gt=now,
        due_at__lte=until + VOTE_WINDOW,
    )
    if team_ids is not None:
        proposals = proposals.filter(team_id__in=list(team_ids))
    proposals = list(proposals.values("pk", "team_id", "due_at", "number", "title", "approver_id"))
    if not proposals:
        return []
    voters = defaultdict(list)
    for team_id, user_id in Membership.objects.filter(
        team_id__in={p["team_id"] for p in proposals}, role__in=CONTRIBUTING_ROLES
    ).values_list("team_id", "user_id"):
        voters[team_id].append(user_id)
    voted = set(
        Vote.objects.filter(proposal_id__in=[p["pk"] for p in proposals]).values_list(
            "proposal_id", "voter_id"
        )
    )
    return [
        Due(
            kind=VOTES_DUE,
            team_id=p["team_id"],
            object_id=p["pk"],
            user_id=user_id,
            occasion=p["due_at"].isoformat(),
            send_at=p["due_at"] - VOTE_WINDOW,
            summary=f"Vote on DACI-{p['number']} {p['title']}",
        )
        for p in proposals
        for user_id in voters[p["team_id"]]
        # The approver decides rather than votes: no vote of theirs is due.
        if (p["pk"], user_id) not in voted and user_id != p["approver_id"]
    ]


def votes_due_render(rows: list[Reminder]) -> dict[int, Message]:
    proposals = {
        p.pk: p
        for p in Proposal.objects.filter(pk__in={r.object_id for r in rows}).select_related("team")
    }
    voted = set(
        Vote.objects.filter(proposal_id__in=proposals).values_list("proposal_id", "voter_id")
    )
    messages = {}
    for row in rows:
        proposal = proposals.get(row.object_id)
        if (
            proposal is None
            or not proposal.is_voting
            or proposal.due_at.isoformat() != row.occasion
            or (proposal.pk, row.user_id) in voted
            or row.user_id == proposal.approver_id
        ):
            continue
        team = proposal.team
        due = _day(proposal.due_at, row.zone)
        messages[row.pk] = Message(
            subject=f"[{team.slug.upper()}] Vote by {due}: {proposal.code} {proposal.title}",
            heading=f"Your vote on {proposal.code} is due",
            lines=[
                f"“{proposal.title}” closes for votes on {due} ({row.zone.key}).",
                "You have not voted yet. Read the options and say where you stand.",
            ],
            action=Link("Vote now", absolute_url(proposal.get_absolute_url())),
        )
    return messages


# -- reviews waiting ------------------------------------------------------------------


def reviews_waiting_find(*, now: datetime, until: datetime, team_ids=None) -> list[Due]:
    reviews = Review.objects.filter(
        state=Review.State.REQUESTED,
        page__status=PageStatus.IN_REVIEW,
        requested_at__lte=until - timedelta(hours=1),
    )
    if team_ids is not None:
        reviews = reviews.filter(page__team_id__in=list(team_ids))
    reviews = list(
        reviews.values("page_id", "page__team_id", "page__number", "page__title", "reviewer_id",
                       "requested_at")
    )  # fmt: skip
    if not reviews:
        return []
    turnaround = review_turnaround_hours_map(team_ids={r["page__team_id"] for r in reviews})
    due = []
    for review in reviews:
        hours = turnaround[review["page__team_id"]]
        send_at = review["requested_at"] + timedelta(hours=hours)
        if send_at > until:
            continue
        due.append(
            Due(
                kind=REVIEWS_WAITING,
                team_id=review["page__team_id"],
                object_id=review["page_id"],
                user_id=review["reviewer_id"],
                occasion=review["requested_at"].isoformat(),
                send_at=send_at,
                summary=f"Review design page {review['page__number']} {review['page__title']}",
            )
        )
    return due


def reviews_waiting_render(rows: list[Reminder]) -> dict[int, Message]:
    pages = {
        p.pk: p
        for p in DesignPage.objects.filter(pk__in={r.object_id for r in rows}).select_related(
            "team", "driver"
        )
    }
    waiting = {
        (r.page_id, r.reviewer_id): r
        for r in Review.objects.filter(page_id__in=pages, state=Review.State.REQUESTED)
    }
    turnaround = review_turnaround_hours_map(team_ids={p.team_id for p in pages.values()})
    messages = {}
    for row in rows:
        page = pages.get(row.object_id)
        review = waiting.get((row.object_id, row.user_id))
        if page is None or page.status != PageStatus.IN_REVIEW or review is None:
            continue
        team = page.team
        hours = turnaround[team.pk]
        driver = person_name(page.driver)
        messages[row.pk] = Message(
            subject=f"[{team.slug.upper()}] Review waiting: {page.title}",
            heading=f"{driver} is waiting for your review",
            lines=[
                f"You were asked to review “{page.title}” on "
                f"{_day(review.requested_at, row.zone)}. The team's charter expects "
                f"reviews within {hours} hours.",
            ],
            action=Link("Review the page", absolute_url(page.get_absolute_url())),
        )
    return messages


VOTES_DUE_KIND = Kind(
    key=VOTES_DUE,
    label="Votes due",
    description="When an open proposal closes within 48 hours and you have not voted.",
    find=votes_due_find,
    render=votes_due_render,
    roles=CONTRIBUTING_ROLES,
)
REVIEWS_WAITING_KIND = Kind(
    key=REVIEWS_WAITING,
    label="Reviews waiting",
    description="When a design page waits for your review longer than the charter's "
    "review turnaround.",
    find=reviews_waiting_find,
    render=reviews_waiting_render,
    roles=CONTRIBUTING_ROLES,
)
