"""Every change to a DACI proposal: drafting, opening, voting, closing, deciding."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from practices.models import CharterSection, Role, Team
from practices.outbox.services import outbox_enqueue
from practices.teams.selectors import membership_takes_part
from practices.web import person_name
from proposals.models import (
    Event,
    Objection,
    ObjectionKind,
    Option,
    OutcomeOptOut,
    Proposal,
    Status,
    Vote,
    block_key,
)
from proposals.selectors.tally import eligible_voter_id_list
from proposals.services.action_items import action_items_create
from proposals.services.approvers import APPROVER_VOTE_WITHDRAWN, approver_votes_withdraw
from proposals.services.charter import charter_change_apply, charter_change_draft
from proposals.services.comments import comment_add
from proposals.services.inputs import (
    ActionItemInput,
    ObjectionInput,
    OptionInput,
    _check_objections,
    _check_options,
    _check_people,
)

# The inputs are read as ``services.OptionInput`` by callers (views, tests, the demo).
# So is ``services.comment_add``.
__all__ = ["ActionItemInput", "ObjectionInput", "OptionInput", "comment_add"]


def _event(proposal: Proposal, actor: AbstractBaseUser | None, kind: str, detail: str = "") -> None:
    Event.objects.create(proposal=proposal, actor=actor, kind=kind, detail=detail[:300])


def _next_number(team: Team) -> int:
    # Lock the team row: two drafts started at once get consecutive numbers.
    Team.objects.select_for_update().filter(pk=team.pk).first()
    return (Proposal.objects.filter(team=team).aggregate(n=Max("number"))["n"] or 0) + 1


@transaction.atomic
def proposal_create(
    *,
    team: Team,
    author: AbstractBaseUser,
    title: str,
    driver: AbstractBaseUser,
    approver: AbstractBaseUser,
    due_at: dt.datetime,
    options: list[OptionInput],
    impact: str = "medium",
    contributors: list | tuple = (),
    informed: list | tuple = (),
    informed_emails: list[str] | tuple = (),
    background: str = "",
    relevant_data: str = "",
    hide_tally: bool = False,
    charter_change: tuple[CharterSection, dict[str, Any]] | None = None,
) -> Proposal:
    """A new draft with its options, numbered next in the team (``DACI-<n>``)."""
    _check_people(
        team=team, driver=driver, approver=approver, contributors=contributors, informed=informed
    )
    _check_options(options)
    proposal = Proposal(
        team=team,
        number=_next_number(team),
        title=title,
        driver=driver,
        approver=approver,
        due_at=due_at,
        impact=impact,
        informed_emails=list(informed_emails),
        background=background,
        relevant_data=relevant_data,
        hide_tally=hide_tally,
        created_by=author,
    )
    if charter_change is not None:
        section, data = charter_change
        proposal.charter_section_key = section.key
        proposal.charter_data = data
        proposal.charter_base_version = section.version
    proposal.save()
    _people_set(proposal, contributors=contributors, informed=informed)
    _options_replace(proposal, options, existing=[])
    _event(proposal, author, Event.Kind.CREATED)
    return proposal


def _people_set(proposal: Proposal, *, contributors, informed) -> None:
    proposal.contributors.set(contributors)
    proposal.informed.set(informed)


def _options_replace(
    proposal: Proposal, options: list[OptionInput], existing: list[Option]
) -> None:
    """The proposal's options become ``options``, in order. One with the title of an
    ``existing`` option updates it in place (its votes stay); the others go."""
    by_title = {o.title.lower(): o for o in existing}
    rows = []
    for position, option in enumerate(o for o in options if o.title.strip()):
        row = by_title.get(option.title.strip().lower()) or Option(proposal=proposal)
        row.position, row.title = position, option.title.strip()
        row.description, row.pros, row.cons, row.cost = (
            option.description,
            option.pros,
            option.cons,
            option.cost,
        )
        rows.append(row)
    if not existing:  # a new proposal: one INSERT
        Option.objects.bulk_create(rows)
        return
    for row in rows:
        row.save()
    proposal.options.exclude(pk__in=[row.pk for row in rows]).delete()


def _check_voted_options_kept(
    proposal: Proposal, options: list[OptionInput], existing: list[Option]
) -> None:
    if proposal.status != Status.OPEN:
        return
    kept_titles = {o.title.strip().lower() for o in options if o.title.strip()}
    voted = [
        o
        for o in existing
        if o.title.lower() not in kept_titles and (o.votes.exists() or o.objections.exists())
    ]
    if voted:
        raise ValidationError(
            {"options": f"People voted on “{voted[0].title}”: it cannot be removed now."}
        )


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise PermissionDenied(message)


def _require_taking_part(proposal: Proposal, actor: AbstractBaseUser) -> None:
    """The actor is a member or lead of the proposal's team *now*.

    Being named driver or approver is not enough: someone made an observer, or removed,
    since they were named keeps the name but none of the rights (a lead hands them over).
    """
    _require(
        membership_takes_part(team_id=proposal.team_id, user=actor),
        "Only the team's members and leads act on its proposals; observers read them.",
    )


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    actor: AbstractBaseUser,
    actor_role: str,
    title: str,
    approver: AbstractBaseUser,
    due_at: dt.datetime,
    options: list[OptionInput],
    impact: str,
    contributors,
    informed,
    informed_emails: list[str],
    background: str,
    relevant_data: str,
    hide_tally: bool,
) -> Proposal:
    """The driver edits a draft or an open proposal; only a lead changes an open one's approver."""
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require(proposal.driver_id == actor.pk, "Only the driver edits the proposal.")
    _require_taking_part(proposal, actor)
    if proposal.status not in (Status.DRAFT, Status.OPEN):
        raise ValidationError("A closed proposal can no longer be edited.")
    approver_changed = approver.pk != proposal.approver_id
    if approver_changed and proposal.status == Status.OPEN and actor_role != Role.LEAD:
        raise ValidationError(
            {"approver": "The proposal is open: only a lead can change its approver now."}
        )
    _check_people(
        team=proposal.team,
        driver=proposal.driver,
        approver=approver,
        contributors=contributors,
        informed=informed,
    )
    _check_options(options)
    existing = list(proposal.options.all())
    _check_voted_options_kept(proposal, options, existing)
    _options_replace(proposal, options, existing)
    if approver_changed:
        _approver_change(proposal, actor, approver)
    for name, value in {
        "title": title,
        "approver": approver,
        "due_at": due_at,
        "impact": impact,
        "informed_emails": informed_emails,
        "background": background,
        "relevant_data": relevant_data,
        "hide_tally": hide_tally,
    }.items():
        setattr(proposal, name, value)
    proposal.save()
    _people_set(proposal, contributors=contributors, informed=informed)
    return proposal


def _approver_change(proposal: Proposal, actor: AbstractBaseUser, approver) -> None:
    withdrawn = approver_votes_withdraw(proposals=[proposal.pk], approver=approver)
    note = APPROVER_VOTE_WITHDRAWN if withdrawn else ""
    _event(proposal, actor, Event.Kind.APPROVER_CHANGED, f"to {person_name(approver)}{note}")


@transaction.atomic
def proposal_open(*, proposal: Proposal, actor: AbstractBaseUser) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require(proposal.driver_id == actor.pk, "Only the driver opens the proposal.")
    _require_taking_part(proposal, actor)
    if proposal.status != Status.DRAFT:
        raise ValidationError("Only a draft can be opened.")
    if proposal.due_at <= timezone.now():
        raise ValidationError("The due date has passed: set a later one before opening.")
    proposal.status = Status.OPEN
    proposal.save(update_fields=["status", "updated_at"])
    _event(proposal, actor, Event.Kind.OPENED)
    return proposal


@transaction.atomic
def proposal_withdraw(*, proposal: Proposal, actor: AbstractBaseUser) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require(proposal.driver_id == actor.pk, "Only the driver withdraws the proposal.")
    _require_taking_part(proposal, actor)
    if proposal.status not in (Status.DRAFT, Status.OPEN):
        raise ValidationError("Only a draft or an open proposal can be withdrawn.")
    proposal.status = Status.WITHDRAWN
    proposal.save(update_fields=["status", "updated_at"])
    _event(proposal, actor, Event.Kind.WITHDRAWN)
    return proposal


def _vote_summary(
    titles: dict[int, str], option_id: int | None, objections: list[ObjectionInput]
) -> str:
    """How the timeline words a vote: ``(prefers Redis; blocks Kafka)``."""
    parts = [f"prefers {titles[option_id]}" if option_id else "no preference"]
    verbs = {ObjectionKind.BLOCK: "blocks", ObjectionKind.DISAGREE: "disagrees with"}
    for kind in (ObjectionKind.BLOCK, ObjectionKind.DISAGREE):
        named = [titles[o.option_id] for o in objections if o.kind == kind]
        if named:
            parts.append(f"{verbs[kind]} {', '.join(named)}")
    return f"({'; '.join(parts)})"


@transaction.atomic
def proposal_vote_cast(
    *,
    proposal: Proposal,
    voter: AbstractBaseUser,
    option_id: int | None,
    objections: Sequence[ObjectionInput] = (),
    reason: str = "",
) -> Vote:
    """Records ``voter``'s vote, or replaces it whole. One vote per person, while voting
    is open.

    A vote is the option the person prefers (``None``: no preference) and any
    objections to other options, each with its reason; the objections cast before are
    replaced in the same transaction. The approver decides and does not vote. The
    proposal row is locked, so a vote never lands after the close; the unique
    constraints make a second row for the same person (or option) impossible even so.
    """
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    if not membership_takes_part(team_id=proposal.team_id, user=voter):
        raise PermissionDenied("Only the team's members and leads vote.")
    if not proposal.is_voting:
        raise ValidationError("Voting is not open on this proposal.")
    if proposal.approver_id == voter.pk:
        raise PermissionDenied("The approver decides on the proposal and does not vote on it.")
    objections = _check_objections(proposal, option_id, objections)
    reason = reason.strip()
    existing = Vote.objects.filter(proposal=proposal, voter=voter).first()
    if existing is None:
        try:
            with transaction.atomic():
                vote = Vote.objects.create(
                    proposal=proposal, voter=voter, option_id=option_id, reason=reason
                )
        except IntegrityError:
            existing = Vote.objects.get(proposal=proposal, voter=voter)
        kind = Event.Kind.VOTED
    if existing is not None:
        vote = existing
        vote.option_id, vote.reason = option_id, reason
        vote.save(update_fields=["option", "reason", "updated_at"])
        kind = Event.Kind.VOTE_CHANGED
    Objection.objects.filter(proposal=proposal, voter=voter).delete()
    Objection.objects.bulk_create(
        Objection(
            proposal=proposal, voter=voter, option_id=o.option_id, kind=o.kind, reason=o.reason
        )
        for o in objections
    )
    titles = dict(proposal.options.values_list("pk", "title"))
    _event(proposal, voter, kind, _vote_summary(titles, option_id, objections))
    return vote


@transaction.atomic
def proposal_close(*, proposal: Proposal, actor: AbstractBaseUser | None = None) -> bool:
    """Closes voting and records who was eligible and who voted; asks the approver to decide.

    Returns False when voting was already closed (safe to call twice, from beat or a person).
    """
    now = timezone.now()
    closed = Proposal.objects.filter(
        pk=proposal.pk, status=Status.OPEN, voting_closed_at__isnull=True
    ).update(voting_closed_at=now)
    if not closed:
        return False
    proposal.refresh_from_db()
    proposal.close_record = {
        "eligible": eligible_voter_id_list(proposal=proposal),
        "voted": list(proposal.votes.values_list("voter_id", flat=True)),
    }
    proposal.save(update_fields=["close_record"])
    _event(proposal, actor, Event.Kind.CLOSED, "" if actor else "at the due date")
    outbox_enqueue(task="proposals.tasks.notify_approver_to_decide", args=[proposal.pk])
    return True


def proposal_close_early(*, proposal: Proposal, actor: AbstractBaseUser) -> bool:
    _require(proposal.driver_id == actor.pk, "Only the driver closes voting early.")
    _require_taking_part(proposal, actor)
    return proposal_close(proposal=proposal, actor=actor)


@transaction.atomic
def proposal_reopen(
    *, proposal: Proposal, actor: AbstractBaseUser, due_at: dt.datetime
) -> Proposal:
    proposal = Proposal.objects.select_for_update().get(pk=proposal.pk)
    _require(proposal.driver_id == actor.pk, "Only the driver reopens voting.")
    _require_taking_part(proposal, actor)
    if proposal.status != Status.OPEN or proposal.voting_closed_at is None:
        raise ValidationError("Only a proposal whose voting closed can be reopened.")
    if due_at <= timezone.now():
        raise ValidationError({"due_at": "Pick a new due date in the future."})
    proposal.voting_closed_at = None
    proposal.close_notified_at = None
    proposal.due_at = due_at
    proposal.save(update_fields=["voting_closed_at", "close_notified_at", "due_at", "updated_at"])
    _event(
        proposal,
        actor,
        Event.Kind.REOPENED,
        f"until {timezone.localtime(due_at, proposal.team.tzinfo):%a %d %b %H:%M}",
    )
    return proposal


def proposals_close_due(*, now: dt.datetime | None = None) -> int:
    """Closes voting on every open proposal past its due date; what beat runs."""
    now = now or timezone.now()
    due = Proposal.objects.filter(
        status=Status.OPEN, voting_closed_at__isnull=True, due_at__lte=now
    ).only("pk", "team_id")
    return sum(proposal_close(proposal=p) for p in due)


def unanswered_blocks(proposal: Proposal, answers: dict[str, str]) -> list[Objection]:
    """The blocks ``answers`` (keyed by ``block_key``) leave without an answer."""
    blocks = proposal.objections.filter(kind=ObjectionKind.BLOCK).select_related("voter", "option")
    return [block for block in blocks if not (answers.get(block.key) or "").strip()]


@transaction.atomic
def proposal_decide(
    *,
    proposal: Proposal,
    actor: AbstractBaseUser,
    option_id: int | None,
    rationale: str,
    block_answers: dict[str, str],
    action_items: list[ActionItemInput] = (),
    review_on: dt.date | None = None,
) -> Proposal:
    """The approver decides for an option (or declines with ``option_id=None``).

    Every block (each person's block of each option) must be answered. A charter change
    the proposal carries is applied as a new charter revision, unless the section changed
    since the proposal was written.
    """
    proposal = Proposal.objects.select_for_update().select_related("team").get(pk=proposal.pk)
    _require(proposal.approver_id == actor.pk, "Only the approver decides.")
    _require_taking_part(proposal, actor)
    if proposal.status != Status.OPEN:
        raise ValidationError("Only an open proposal can be decided.")
    if not rationale.strip():
        raise ValidationError({"rationale": "Write the rationale: why this outcome."})
    missing = unanswered_blocks(proposal, block_answers)
    if missing:
        names = ", ".join(f"{person_name(b.voter)} on “{b.option.title}”" for b in missing)
        raise ValidationError({"block_answers": f"Answer every block before deciding: {names}."})
    if proposal.voting_closed_at is None:
        proposal_close(proposal=proposal, actor=actor)
        proposal.refresh_from_db()
    now = timezone.now()
    if option_id is None:
        proposal.status = Status.DECLINED
        kind, detail = Event.Kind.DECLINED, ""
    else:
        option = proposal.options.filter(pk=option_id).first()
        if option is None:
            raise ValidationError({"option": "Pick one of this proposal's options."})
        proposal.status = Status.DECIDED
        proposal.chosen_option = option
        kind, detail = Event.Kind.DECIDED, f"for “{option.title}”"
    proposal.rationale = rationale
    blocks = {
        block_key(b.voter_id, b.option_id)
        for b in proposal.objections.filter(kind=ObjectionKind.BLOCK)
    }
    proposal.block_answers = {
        k: v.strip() for k, v in block_answers.items() if k in blocks and v.strip()
    }
    proposal.decided_by, proposal.decided_at, proposal.review_on = actor, now, review_on
    # A charter proposal's first option is "Adopt the change": deciding for it applies it.
    adopts = proposal.chosen_option is not None and proposal.chosen_option.position == 0
    if proposal.status == Status.DECIDED and proposal.charter_section_key and adopts:
        proposal.charter_revision = charter_change_apply(proposal=proposal, actor=actor)
    proposal.save()
    action_items_create(proposal=proposal, items=action_items)
    _event(proposal, actor, kind, detail)
    outbox_enqueue(task="proposals.tasks.notify_outcome", args=[proposal.pk])
    return proposal


@transaction.atomic
def proposal_supersede(
    *, old: Proposal, new: Proposal, actor: AbstractBaseUser, actor_role: str
) -> Proposal:
    """Marks the decided ``old`` as superseded by the decided ``new``; links both ways."""
    _require(
        actor_role == Role.LEAD or new.approver_id == actor.pk,
        "Only a lead or the new decision's approver marks a decision superseded.",
    )
    if actor_role != Role.LEAD:
        _require_taking_part(new, actor)
    old = Proposal.objects.select_for_update().get(pk=old.pk)
    new = Proposal.objects.get(pk=new.pk)
    if old.team_id != new.team_id or old.pk == new.pk:
        raise ValidationError({"new": "Pick another decision of this team."})
    if old.status != Status.DECIDED or new.status != Status.DECIDED:
        raise ValidationError({"new": "Only a decided proposal supersedes a decided one."})
    old.status = Status.SUPERSEDED
    old.superseded_by = new
    old.save(update_fields=["status", "superseded_by", "updated_at"])
    _event(old, actor, Event.Kind.SUPERSEDED, f"by {new.code}")
    return old


def charter_change_propose(
    *, section: CharterSection, data: dict[str, Any], author: AbstractBaseUser, why: str = ""
) -> Proposal:
    """A draft proposal carrying a charter edit; deciding for it applies the edit."""
    return proposal_create(
        team=section.team,
        author=author,
        driver=author,
        approver=author,
        background=why,
        **charter_change_draft(section=section, data=data),
    )


def outcome_opt_out(*, team: Team, email: str) -> None:
    """``email`` gets no more of ``team``'s outcome emails; safe to do twice."""
    OutcomeOptOut.objects.get_or_create(team=team, email=email.lower())
