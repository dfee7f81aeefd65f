"""Every change to a design page: creating, revising, reviewing, retiring.

A page keeps its text the way the charter keeps a section: each save is a numbered
revision with its diff (``practices.revisions``), and ``version`` is the optimistic
lock. Review follows the team charter's code review policy; the status moves to
approved in the same transaction as the answer that meets it.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Max, Value, When
from django.utils import timezone

from practices.models import CONTRIBUTING_ROLES, Membership, Role, Team
from practices.revisions import text_diff, version_claim
from practices.teams.selectors import membership_takes_part
from practices.web import person_name
from proposals.models import (
    DesignPage,
    DesignPageRevision,
    ObjectionKind,
    PageEvent,
    PageStatus,
    Proposal,
    Review,
    Status,
)
from proposals.selectors.pages import (
    design_page_review_progress,
    page_text,
    review_policy_get,
    self_approval_from,
    team_membership_map,
    when,
)

BODY_MAX_CHARS = 200_000
TITLE_MAX_CHARS = 200


class PageConflict(Exception):
    """Someone saved the page after the version the editor started from."""

    def __init__(self, page: DesignPage) -> None:
        super().__init__(f"design page {page.pk} changed since it was opened")
        self.page = page


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _role(team_id: int, user: AbstractBaseUser) -> str | None:
    return (
        Membership.objects.filter(team_id=team_id, user=user).values_list("role", flat=True).first()
    )


def _check_text(*, title: str, body: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the page a title."
    elif len(title) > TITLE_MAX_CHARS:
        errors["title"] = f"Keep the title under {TITLE_MAX_CHARS} characters."
    if len(body) > BODY_MAX_CHARS:
        errors["body"] = (
            f"The page is {len(body):,} characters long; the limit is {BODY_MAX_CHARS:,}. "
            "Split it into several pages or link to the long parts."
        )
    if errors:
        raise ValidationError(errors)


def can_edit_page(*, page: DesignPage, user: AbstractBaseUser, role: str | None) -> bool:
    """The driver and the team's leads edit a design page.

    ``role`` is the person's role in the page's team now: a driver made an observer, or
    removed, no longer edits what they drove.
    """
    return role == Role.LEAD or (page.driver_id == user.pk and role in CONTRIBUTING_ROLES)


def can_retire_page(*, page: DesignPage, user: AbstractBaseUser, role: str | None) -> bool:
    """The driver and the team's leads mark a page obsolete."""
    return can_edit_page(page=page, user=user, role=role)


def _next_number(team: Team) -> int:
    # Lock the team row: two pages started at once get consecutive numbers.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    return (DesignPage.objects.filter(team=team).aggregate(n=Max("number"))["n"] or 0) + 1


def _first_revision(page: DesignPage, author: AbstractBaseUser, message: str) -> None:
    text = page_text(title=page.title, body=page.body)
    DesignPageRevision.objects.create(
        page=page, number=1, title=page.title, text=text, diff=text_diff("", text),
        message=message[:200], author=author, created_at=page.updated_at,
    )  # fmt: skip


@transaction.atomic
def design_page_create(
    *,
    team: Team,
    author: AbstractBaseUser,
    title: str,
    body: str = "",
    message: str = "",
    proposal: Proposal | None = None,
) -> DesignPage:
    """A new draft page numbered next in the team, with ``author`` as its driver.

    Its text is saved as revision 1, so the history starts where the page did.
    """
    _require(
        membership_takes_part(team_id=team.pk, user=author),
        "Members and leads start design pages; observers read them.",
    )
    title = title.strip()
    _check_text(title=title, body=body)
    now = timezone.now()
    page = DesignPage.objects.create(
        team=team, number=_next_number(team), title=title, body=body, driver=author,
        proposal=proposal, version=1, updated_at=now, updated_by=author,
    )  # fmt: skip
    _first_revision(page, author, message or "Started the page.")
    return page


def _block_lines(proposal: Proposal) -> list[str]:
    """Each block with the approver's answer, as the decision recorded them."""
    blocks = list(
        proposal.objections.filter(kind=ObjectionKind.BLOCK)
        .select_related("voter", "option")
        .order_by("created_at", "pk")
    )
    if not blocks:
        return []
    lines = ["## Blocks and their answers", ""]
    for block in blocks:
        answer = proposal.block_answers.get(block.key, "").strip()
        who, what = person_name(block.voter), block.option.title
        lines += [f"**{who}** blocked “{what}”: {block.reason.strip()}", ""]
        quoted = [f"> {line}" if line else ">" for line in (answer or "_No answer._").splitlines()]
        lines += [*quoted, ""]
    return lines


def _proposal_body(proposal: Proposal) -> str:
    """The start of a design page: the decision it carries out, then room for the design."""
    option = proposal.chosen_option
    decided = ""
    if proposal.decided_at:
        local = timezone.localtime(proposal.decided_at, proposal.team.tzinfo)
        decided = f" on {local.day} {local:%b %Y}"
    lines = [
        f"Carries out {proposal.code}, decided{decided} by {person_name(proposal.decided_by)}.",
        "",
        f"## Decision: {option.title}" if option else "## Decision",
        "",
    ]
    if option is not None:
        if option.description.strip():
            lines += [option.description.strip(), ""]
        for heading, value in (
            ("Pros", option.pros),
            ("Cons", option.cons),
            ("Cost / effort", option.cost),
        ):
            if value.strip():
                lines += [f"### {heading}", "", value.strip(), ""]
    lines += ["## Rationale", "", proposal.rationale.strip() or "_Not written down._", ""]
    lines += _block_lines(proposal)
    items = list(proposal.action_items.select_related("owner"))
    if items:
        lines += ["## Action items", ""]
        for item in items:
            extra = []
            if item.owner is not None:
                extra.append(person_name(item.owner))
            if item.due_on:
                extra.append(f"due {item.due_on.day} {item.due_on:%b %Y}")
            suffix = f" ({', '.join(extra)})" if extra else ""
            lines.append(f"- {item.text}{suffix}")
        lines.append("")
    lines += ["## Design", "", "_Describe how it will be built._"]
    return "\n".join(lines) + "\n"


@transaction.atomic
def design_page_create_from_proposal(
    *, proposal: Proposal, author: AbstractBaseUser
) -> tuple[DesignPage, bool]:
    """The decided proposal's design page, made now or found; ``(page, created)``.

    Pressing twice never makes two pages: the team row lock orders concurrent clicks and
    the one-to-one link to the proposal makes a second page impossible even so.
    """
    _require(
        membership_takes_part(team_id=proposal.team_id, user=author),
        "Members and leads start design pages; observers read them.",
    )
    Team.objects.select_for_update().filter(pk=proposal.team_id).first()
    existing = DesignPage.objects.filter(proposal=proposal).first()
    if existing is not None:
        return existing, False
    proposal = (
        Proposal.objects.select_related("team", "chosen_option", "decided_by")
        .filter(pk=proposal.pk)
        .get()
    )
    if proposal.status != Status.DECIDED:
        raise ValidationError("Only a decided proposal gets a design page.")
    body = _proposal_body(proposal)
    try:
        with transaction.atomic():
            page = design_page_create(
                team=proposal.team, author=author, title=proposal.title, body=body,
                proposal=proposal, message=f"Started from {proposal.code}.",
            )  # fmt: skip
    except IntegrityError:
        return DesignPage.objects.get(proposal=proposal), False
    return page, True


@transaction.atomic
def design_page_update(
    *,
    page: DesignPage,
    author: AbstractBaseUser,
    title: str,
    body: str,
    expected_version: int,
    message: str = "",
) -> DesignPageRevision:
    """Saves the page's next revision, if nobody saved it since ``expected_version``.

    Raises ``PageConflict`` (and changes nothing) when the stored version moved on. A new
    revision of an approved page sends it back to review: earlier answers were about
    another text. An obsolete page is kept as it was.
    """
    _require(
        can_edit_page(page=page, user=author, role=_role(page.team_id, author)),
        "The driver and the team's leads edit a design page.",
    )
    title = title.strip()
    _check_text(title=title, body=body)
    now = timezone.now()
    claimed = version_claim(
        DesignPage.objects.exclude(status=PageStatus.OBSOLETE),
        pk=page.pk,
        expected_version=expected_version,
        title=title,
        body=body,
        updated_at=now,
        updated_by=author,
        status=Case(
            When(status=PageStatus.APPROVED, then=Value(PageStatus.IN_REVIEW)),
            default=F("status"),
        ),
    )
    page.refresh_from_db()
    if not claimed:
        if page.status == PageStatus.OBSOLETE:
            raise ValidationError("This page is obsolete: it is kept as it was.")
        raise PageConflict(page)
    previous = (
        DesignPageRevision.objects.filter(page=page, number=expected_version).only("text").first()
    )
    previous_text = previous.text if previous else ""
    text = page_text(title=title, body=body)
    if text == previous_text:
        # Raising rolls the claim back: a save without changes keeps every approval.
        raise ValidationError(f"Nothing changed since revision #{expected_version}.")
    return DesignPageRevision.objects.create(
        page=page, number=expected_version + 1, title=title, text=text,
        diff=text_diff(previous_text, text), message=message[:200], author=author,
        created_at=now,
    )  # fmt: skip


def _settle(page: DesignPage) -> DesignPage:
    """Moves a page under review to approved when the policy is met, and back when not."""
    if page.status not in (PageStatus.IN_REVIEW, PageStatus.APPROVED):
        return page
    progress = design_page_review_progress(
        page=page,
        reviews=list(Review.objects.filter(page=page).select_related("reviewer")),
        policy=review_policy_get(team=page.team),
        memberships=team_membership_map(team=page.team),
    )
    status = PageStatus.APPROVED if progress.met else PageStatus.IN_REVIEW
    if status != page.status:
        page.status = status
        page.save(update_fields=["status"])
    return page


def _locked(page: DesignPage) -> DesignPage:
    return DesignPage.objects.select_for_update().select_related("team").get(pk=page.pk)


@transaction.atomic
def design_page_request_review(
    *, page: DesignPage, actor: AbstractBaseUser, reviewer_ids: list[int]
) -> list[Review]:
    """The driver asks team members or leads to review; the page goes in review.

    Observers and people outside the team cannot be asked; the driver can ask themselves
    only when the charter allows self-approval after a cool-down. Asking someone twice
    changes nothing.
    """
    page = _locked(page)
    _require(page.driver_id == actor.pk, "Only the page's driver asks for reviews.")
    _require(
        membership_takes_part(team_id=page.team_id, user=actor),
        "Only the team's members and leads ask for reviews; observers read.",
    )
    if page.status == PageStatus.OBSOLETE:
        raise ValidationError("This page is obsolete: it is no longer reviewed.")
    ids = {int(pk) for pk in reviewer_ids}
    if not ids:
        raise ValidationError({"reviewers": "Pick at least one reviewer."})
    policy = review_policy_get(team=page.team)
    roles = dict(
        Membership.objects.filter(team=page.team, user_id__in=ids).values_list("user_id", "role")
    )
    if any(roles.get(pk) not in CONTRIBUTING_ROLES for pk in ids):
        raise ValidationError(
            {"reviewers": "Reviewers must be members or leads of the team; observers only read."}
        )
    if page.driver_id in ids and not policy.allows_self_review:
        raise ValidationError(
            {"reviewers": "You drive this page: ask someone else. The team charter allows "
             "self-approval only under a “self-approval after a cool-down” policy."}
        )  # fmt: skip
    asked = set(Review.objects.filter(page=page).values_list("reviewer_id", flat=True))
    new = [Review(page=page, reviewer_id=pk) for pk in sorted(ids - asked)]
    Review.objects.bulk_create(new, ignore_conflicts=True)
    if page.status == PageStatus.DRAFT:
        page.status = PageStatus.IN_REVIEW
        page.save(update_fields=["status"])
    _settle(page)
    return new


@transaction.atomic
def design_page_review(
    *,
    page: DesignPage,
    reviewer: AbstractBaseUser,
    approve: bool,
    comment: str,
    version: int,
) -> Review:
    """A requested reviewer approves the page's current revision, or asks for changes.

    The answer is about the revision the reviewer read (``version``): if the page changed
    since, it is refused so nobody approves a text they have not seen. Asking for changes
    needs a reason. When the answer meets the team's policy the page is approved, in this
    transaction; a "changes requested" on an approved page sends it back to review.
    """
    page = _locked(page)
    review = Review.objects.filter(page=page, reviewer=reviewer).first()
    _require(review is not None, "Only the reviewers the driver asked answer.")
    _require(
        membership_takes_part(team_id=page.team_id, user=reviewer),
        "Only the team's members and leads review design pages.",
    )
    if page.status not in (PageStatus.IN_REVIEW, PageStatus.APPROVED):
        raise ValidationError("This page is not in review.")
    if version != page.version:
        raise ValidationError(
            f"The page changed since you opened it: it is at revision #{page.version} now. "
            "Read the change, then answer again."
        )
    comment = comment.strip()
    if not approve and not comment:
        raise ValidationError({"comment": "Say what should change: a reason is required."})
    if reviewer.pk == page.driver_id:
        if not approve:
            raise ValidationError("It is your page: edit it instead of asking yourself.")
        policy = review_policy_get(team=page.team)
        reviews = list(Review.objects.filter(page=page))
        opens = self_approval_from(page=page, reviews=reviews, policy=policy)
        if opens is None:
            raise ValidationError("The team charter does not allow self-approval.")
        if timezone.now() < opens:
            hours = policy.cooldown_hours
            raise ValidationError(
                f"You can approve your own page from {when(opens, page.team)}, when the "
                f"cool-down of {hours} hour{'' if hours == 1 else 's'} ends."
            )
    review.state = Review.State.APPROVED if approve else Review.State.CHANGES
    review.comment = comment
    review.version = page.version
    review.answered_at = timezone.now()
    review.save(update_fields=["state", "comment", "version", "answered_at"])
    _settle(page)
    return review


@transaction.atomic
def design_page_mark_obsolete(*, page: DesignPage, actor: AbstractBaseUser) -> DesignPage:
    """The driver or a lead retires a page, from any status. Nothing else is set this way."""
    page = _locked(page)
    _require(
        can_retire_page(page=page, user=actor, role=_role(page.team_id, actor)),
        "The driver and the team's leads mark a page obsolete.",
    )
    if page.status == PageStatus.OBSOLETE:
        raise ValidationError("This page is already obsolete.")
    page.status = PageStatus.OBSOLETE
    page.save(update_fields=["status"])
    return page


@transaction.atomic
def design_page_lead_approve(
    *, page: DesignPage, actor: AbstractBaseUser, note: str, version: int
) -> DesignPage:
    """A lead approves a page that nobody in the team can approve under the policy.

    Only for a page in review whose policy cannot be met by the team's current members
    (e.g. "1 senior approval" when the only senior drives it); otherwise the reviewers
    decide. The note is required and goes on the page's timeline. It approves revision
    ``version`` only: a later revision goes back to the policy. A "changes requested" on
    the revision still holds the page back.
    """
    page = _locked(page)
    _require(
        _role(page.team_id, actor) == Role.LEAD,
        "Only a lead of the team approves a page the review policy cannot approve.",
    )
    if page.status != PageStatus.IN_REVIEW:
        raise ValidationError("Only a page in review can be approved.")
    if version != page.version:
        raise ValidationError(
            f"The page changed since you opened it: it is at revision #{page.version} now. "
            "Read the change, then approve again."
        )
    note = note.strip()
    if not note:
        raise ValidationError({"note": "Say why you approve it: the note goes on the timeline."})
    progress = design_page_review_progress(
        page=page,
        reviews=list(Review.objects.filter(page=page).select_related("reviewer")),
        policy=review_policy_get(team=page.team),
        memberships=team_membership_map(team=page.team),
    )
    if progress.blocked_by:
        raise ValidationError(
            f"{', '.join(progress.blocked_by)} asked for changes: the driver answers them first."
        )
    if not progress.stuck:
        raise ValidationError(
            "The team can still meet its review policy for this page: ask reviewers instead."
        )
    page.lead_approved_version = page.version
    page.save(update_fields=["lead_approved_version"])
    PageEvent.objects.create(
        page=page, actor=actor, kind=PageEvent.Kind.LEAD_APPROVED, version=page.version,
        detail=note,
    )  # fmt: skip
    return _settle(page)
