"""Reads for design pages: lists, history, the review policy and what a review still needs."""

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from practices.charter.review_policy import code_review_data, review_policy_stuck_reason
from practices.charter.sections import section_spec
from practices.models import CONTRIBUTING_ROLES, Membership, Team
from practices.revisions import diff_hunks, side_by_side, text_diff
from practices.web import person_name
from proposals.models import DesignPage, DesignPageRevision, PageEvent, PageStatus, Review

APPROVALS = "approvals"
CONSENSUS = "consensus"
SELF_AFTER_COOLDOWN = "self_after_cooldown"


def page_text(*, title: str, body: str) -> str:
    """A page as one markdown text, title first: what its revisions store and diff."""
    return f"# {title}\n\n{body}".rstrip() + "\n"


def when(moment: dt.datetime, team: Team) -> str:
    """A moment in the team's time zone, as the review panel says it: "Tue 3 Dec 14:00"."""
    local = timezone.localtime(moment, team.tzinfo)
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# --- lists and history -----------------------------------------------------------------


def design_page_list(
    *, team: Team, status: str | None = None, awaiting_review_by: AbstractBaseUser | None = None
) -> QuerySet[DesignPage]:
    """The team's pages, newest first, with their driver, proposal and review counts."""
    pages = (
        DesignPage.objects.filter(team=team)
        .select_related("driver", "proposal")
        .annotate(
            reviewer_count=Count("reviews", distinct=True),
            approval_count=Count(
                "reviews",
                filter=Q(reviews__state=Review.State.APPROVED, reviews__version=F("version")),
                distinct=True,
            ),
        )
        .defer("body")
        .order_by("-number")
    )
    if status:
        pages = pages.filter(status=status)
    if awaiting_review_by is not None:
        # Asked to review, and no answer yet on the page's current revision.
        waiting = Review.objects.filter(page=OuterRef("pk"), reviewer=awaiting_review_by).exclude(
            version=OuterRef("version"), state__in=[Review.State.APPROVED, Review.State.CHANGES]
        )
        pages = pages.filter(Exists(waiting), status=PageStatus.IN_REVIEW)
    return pages


def design_page_revision_list(*, page: DesignPage) -> QuerySet[DesignPageRevision]:
    return (
        DesignPageRevision.objects.filter(page=page)
        .select_related("author")
        .defer("text")
        .order_by("-number")
    )


def design_page_revision_get(*, page: DesignPage, number: int) -> DesignPageRevision:
    try:
        return DesignPageRevision.objects.select_related("author").get(page=page, number=number)
    except DesignPageRevision.DoesNotExist:
        raise Http404("No such revision.") from None


def design_page_revisions_since(*, page: DesignPage, version: int) -> QuerySet[DesignPageRevision]:
    """Revisions saved after ``version``: what someone else changed while you edited."""
    return (
        DesignPageRevision.objects.filter(page=page, number__gt=version)
        .select_related("author")
        .order_by("number")
    )


@dataclass(frozen=True)
class PageConflictView:
    """What the second editor needs to reconcile: their change beside the stored one."""

    revisions: list[DesignPageRevision]
    their_change: list[list[str]]
    yours_vs_stored: list


def design_page_conflict(
    *, page: DesignPage, started_from: int, title: str, body: str
) -> PageConflictView:
    revisions = list(design_page_revisions_since(page=page, version=started_from))
    base = DesignPageRevision.objects.filter(page=page, number=started_from).only("text").first()
    base_text = base.text if base else ""
    stored_text = page_text(title=page.title, body=page.body)
    yours_text = page_text(title=title, body=body)
    return PageConflictView(
        revisions=revisions,
        their_change=diff_hunks(text_diff(base_text, stored_text), context=1),
        yours_vs_stored=side_by_side(stored_text, yours_text),
    )


# --- the review policy -----------------------------------------------------------------


@dataclass(frozen=True)
class ReviewPolicy:
    """The team charter's code review section, as it applies to design pages."""

    kind: str
    required_approvals: int
    seniors_only: bool
    cooldown_hours: int
    default_reviewers: tuple[str, ...]
    summary: str

    @property
    def allows_self_review(self) -> bool:
        return self.kind == SELF_AFTER_COOLDOWN

    def rule(self) -> dict:
        """The fields that say who may approve, as the charter section stores them."""
        return {
            "kind": self.kind,
            "required_approvals": self.required_approvals,
            "seniors_only": self.seniors_only,
        }


def review_policy_get(*, team: Team) -> ReviewPolicy:
    data = code_review_data(team=team)
    kind = data.get("kind")
    if kind not in (APPROVALS, CONSENSUS, SELF_AFTER_COOLDOWN):
        kind = APPROVALS
    return ReviewPolicy(
        kind=kind,
        # The charter form asks for at least one; a stored 0 must not approve unread pages.
        required_approvals=max(1, int(data.get("required_approvals") or 1)),
        seniors_only=bool(data.get("seniors_only")),
        cooldown_hours=max(0, int(data.get("cooldown_hours") or 0)),
        default_reviewers=tuple(data.get("default_reviewers") or ()),
        summary=section_spec("code_review").summary(data),
    )


def team_membership_map(*, team: Team) -> dict[int, Membership]:
    """Every membership of the team by user id, with the user: one query for a whole page."""
    memberships = Membership.objects.filter(team=team).select_related("user")
    return {m.user_id: m for m in memberships}


def design_page_event_list(*, page: DesignPage) -> list[PageEvent]:
    """The page's timeline (lead approvals, hand-overs), oldest first, with who did it."""
    return list(PageEvent.objects.filter(page=page).select_related("actor"))


def design_page_review_list(*, page: DesignPage) -> list[Review]:
    return list(
        Review.objects.filter(page=page).select_related("reviewer").order_by("requested_at", "id")
    )


@dataclass
class ReviewProgress:
    """Where a page stands against the policy, in words a person reads."""

    met: bool
    needs: list[str] = field(default_factory=list)
    blocked_by: list[str] = field(default_factory=list)
    self_approval_from: dt.datetime | None = None
    # Why nobody in the team can meet the policy for this page ("" when someone can):
    # then, and only then, a lead may approve it with a note.
    stuck: str = ""
    lead_approved: bool = False


def review_started_at(*, page: DesignPage, reviews: list[Review]) -> dt.datetime | None:
    """When review of the current revision began: the first request, or a later revision.

    A new revision restarts the cool-down: the others need time to read what changed.
    """
    if not reviews:
        return None
    first_request = min(review.requested_at for review in reviews)
    changed = page.updated_at or page.created_at
    return max(first_request, changed) if changed else first_request


def self_approval_from(
    *, page: DesignPage, reviews: list[Review], policy: ReviewPolicy
) -> dt.datetime | None:
    started = review_started_at(page=page, reviews=reviews)
    if started is None or not policy.allows_self_review:
        return None
    return started + dt.timedelta(hours=policy.cooldown_hours)


def _may_review(review: Review, memberships: dict[int, Membership]) -> bool:
    """Someone who left the team, or is only an observer now, no longer reviews."""
    membership = memberships.get(review.reviewer_id)
    return membership is not None and membership.role in CONTRIBUTING_ROLES


def _counts(review: Review, page: DesignPage, memberships: dict[int, Membership]) -> bool:
    """An answer counts if it is about the current revision and its author may still review."""
    return review.version == page.version and _may_review(review, memberships)


@dataclass(frozen=True)
class _Answers:
    """The reviews of a page sorted the ways each policy reads them."""

    current: list[Review]  # about the current revision, from someone who may still review
    blockers: list[Review]  # of those, "changes requested"
    others: list[Review]  # asked of anyone but the driver who may still review, any revision
    approvals: list[Review]  # current approvals, the driver's own aside


def _approvals_needed(
    progress: ReviewProgress,
    answers: _Answers,
    policy: ReviewPolicy,
    memberships: dict[int, Membership],
) -> None:
    approvals = answers.approvals
    if policy.seniors_only:
        approvals = [r for r in approvals if memberships[r.reviewer_id].is_senior]
    adjective = "senior " if policy.seniors_only else ""
    missing = policy.required_approvals - len(approvals)
    if missing > 0:
        more = "more " if approvals else ""
        progress.needs.append(_plural(missing, f"{more}{adjective}approval"))
        answered = {r.pk for r in approvals} | {r.pk for r in answers.blockers}
        pending = [
            r
            for r in answers.others
            if r.pk not in answered
            and (memberships[r.reviewer_id].is_senior or not policy.seniors_only)
        ]
        if len(pending) < missing:
            short = missing - len(pending)
            progress.needs.append(f"{_plural(short, f'more {adjective}reviewer')} to ask")
    progress.met = missing <= 0 and not answers.blockers


def _consensus_needed(progress: ReviewProgress, answers: _Answers) -> None:
    approved = {r.reviewer_id for r in answers.approvals}
    others = answers.others
    if not others:
        progress.needs.append("reviewers to ask: every reviewer asked must approve")
    for review in others:
        if review.reviewer_id not in approved and review not in answers.blockers:
            progress.needs.append(f"approval from {person_name(review.reviewer)}")
    progress.met = bool(others) and all(r.reviewer_id in approved for r in others)
    progress.met = progress.met and not answers.blockers


def _self_approval_needed(
    progress: ReviewProgress,
    answers: _Answers,
    *,
    page: DesignPage,
    reviews: list[Review],
    policy: ReviewPolicy,
    now: dt.datetime,
) -> None:
    progress.self_approval_from = self_approval_from(page=page, reviews=reviews, policy=policy)
    own = [
        r
        for r in answers.current
        if r.reviewer_id == page.driver_id and r.state == Review.State.APPROVED
    ]
    progress.met = bool(answers.approvals or own) and not answers.blockers
    if answers.approvals or own:
        return
    if progress.self_approval_from is None:
        hours = _plural(policy.cooldown_hours, "hour")
        progress.needs.append(f"1 approval, or self-approval {hours} after review is requested")
    elif progress.self_approval_from <= now:
        progress.needs.append("1 approval, or self-approval by the driver (possible now)")
    else:
        moment = when(progress.self_approval_from, page.team)
        progress.needs.append(f"1 approval, or self-approval possible from {moment}")


def design_page_review_progress(
    *,
    page: DesignPage,
    reviews: list[Review],
    policy: ReviewPolicy,
    memberships: dict[int, Membership],
    now: dt.datetime | None = None,
) -> ReviewProgress:
    """Whether the page's reviews meet the team's policy, and if not, what is still needed.

    Only answers given on the page's current revision count. A "changes requested" on it
    blocks approval until that reviewer approves. The driver's own approval counts only
    under self-approval after a cool-down.
    """
    now = now or timezone.now()
    current = [r for r in reviews if _counts(r, page, memberships)]
    answers = _Answers(
        current=current,
        blockers=[r for r in current if r.state == Review.State.CHANGES],
        others=[
            r for r in reviews if r.reviewer_id != page.driver_id and _may_review(r, memberships)
        ],
        approvals=[
            r
            for r in current
            if r.state == Review.State.APPROVED and r.reviewer_id != page.driver_id
        ],
    )
    progress = ReviewProgress(met=False)
    progress.stuck = review_policy_stuck_reason(
        data=policy.rule(), memberships=memberships.values(), driver_id=page.driver_id
    )
    progress.blocked_by = [person_name(r.reviewer) for r in answers.blockers]
    progress.needs = [
        f"approval from {name}, who asked for changes" for name in progress.blocked_by
    ]
    if policy.kind == APPROVALS:
        _approvals_needed(progress, answers, policy, memberships)
    elif policy.kind == CONSENSUS:
        _consensus_needed(progress, answers)
    else:
        _self_approval_needed(progress, answers, page=page, reviews=reviews, policy=policy, now=now)
    # A lead's approval of this revision stands in for the approvals nobody could give;
    # a colleague's "changes requested" still holds it back.
    if page.lead_approved_version is not None and page.lead_approved_version == page.version:
        progress.lead_approved = True
        progress.met = not answers.blockers
        progress.needs = [
            f"approval from {name}, who asked for changes" for name in progress.blocked_by
        ]
    return progress


@dataclass(frozen=True)
class ReviewerRow:
    review: Review
    name: str
    is_senior: bool
    is_driver: bool
    is_current: bool  # the answer is about the page's current revision

    @property
    def state_label(self) -> str:
        if self.review.state == Review.State.REQUESTED:
            return "Waiting"
        if not self.is_current:
            return f"{self.review.get_state_display()} on #{self.review.version} · waiting again"
        return str(self.review.get_state_display())


@dataclass(frozen=True)
class Candidate:
    user_id: int
    label: str
    is_default: bool


@dataclass
class ReviewPanel:
    """Everything the review panel of a design page shows, read in a fixed number of queries."""

    policy: ReviewPolicy
    progress: ReviewProgress
    reviewers: list[ReviewerRow]
    candidates: list[Candidate]
    my_review: Review | None


def _is_default_reviewer(membership: Membership, names: tuple[str, ...]) -> bool:
    user = membership.user
    known = {user.email.lower(), user.email.split("@", 1)[0].lower(), user.get_full_name().lower()}
    return any(name.strip().lower() in known for name in names if name.strip())


def reviewer_candidates(
    *,
    page: DesignPage,
    reviews: list[Review],
    policy: ReviewPolicy,
    memberships: dict[int, Membership],
) -> list[Candidate]:
    """Who the driver may still ask: members and leads, not yet asked; the driver only for
    self-approval after a cool-down. Default reviewers of the charter come first."""
    asked = {review.reviewer_id for review in reviews}
    candidates = []
    for user_id, membership in memberships.items():
        if user_id in asked or membership.role not in CONTRIBUTING_ROLES:
            continue
        if user_id == page.driver_id and not policy.allows_self_review:
            continue
        label = person_name(membership.user)
        if membership.is_senior:
            label += " · senior"
        if user_id == page.driver_id:
            label += " · you (self-approval after the cool-down)"
        candidates.append(
            Candidate(
                user_id=user_id,
                label=label,
                is_default=_is_default_reviewer(membership, policy.default_reviewers),
            )
        )
    return sorted(candidates, key=lambda c: (not c.is_default, c.label.lower()))


def design_page_review_panel(
    *, page: DesignPage, user: AbstractBaseUser, now: dt.datetime | None = None
) -> ReviewPanel:
    policy = review_policy_get(team=page.team)
    reviews = design_page_review_list(page=page)
    memberships = team_membership_map(team=page.team)
    rows = [
        ReviewerRow(
            review=review,
            name=person_name(review.reviewer),
            is_senior=bool(
                memberships.get(review.reviewer_id) and memberships[review.reviewer_id].is_senior
            ),
            is_driver=review.reviewer_id == page.driver_id,
            is_current=review.version == page.version,
        )
        for review in reviews
    ]
    return ReviewPanel(
        policy=policy,
        progress=design_page_review_progress(
            page=page, reviews=reviews, policy=policy, memberships=memberships, now=now
        ),
        reviewers=rows,
        candidates=reviewer_candidates(
            page=page, reviews=reviews, policy=policy, memberships=memberships
        ),
        my_review=next((r for r in reviews if r.reviewer_id == user.pk), None),
    )
