"""The emails around a proposal: decide now, the outcome, mentions, a review date.

What people wrote in markdown (a rationale, a comment) goes out rendered in the HTML
part and as clean text in the text part.
"""

from django.core import signing
from django.urls import reverse

from practices.emails import absolute_url, email_build, email_send, message_id_make
from practices.markdown import markdown_to_text, render_markdown
from practices.models import Membership
from practices.web import person_name
from proposals.models import Comment, ObjectionKind, OutcomeOptOut, Proposal, Status
from proposals.selectors.proposals import mentioned_users

OPT_OUT_SALT = "proposals.outcome.opt-out"


def _prefix(proposal: Proposal) -> str:
    return f"[{proposal.team.slug.upper()}] {proposal.code}"


def _context(proposal: Proposal, **extra) -> dict:
    return {"proposal": proposal, "url": absolute_url(proposal.get_absolute_url()), **extra}


def approver_asked_to_decide(*, proposal: Proposal) -> None:
    votes = proposal.votes.count()
    email_send(
        to=proposal.approver.email,
        subject=f"{_prefix(proposal)} voting closed — your decision",
        template="proposal_decide",
        context=_context(proposal, votes=votes),
        # Voting closes again after a reopen: each close is its own email.
        message_id=message_id_make(
            what="decide", pk=proposal.pk, occasion=proposal.voting_closed_at
        ),
    )


def outcome_opt_out_token_make(*, team_id: int, email: str) -> str:
    """Signed, and never expiring: an old email's unsubscribe link must keep working."""
    return signing.dumps([team_id, email.lower()], salt=OPT_OUT_SALT, compress=True)


def outcome_opt_out_token_read(*, token: str) -> tuple[int, str]:
    team_id, email = signing.loads(token, salt=OPT_OUT_SALT)
    return int(team_id), str(email)


def outcome_recipients(*, proposal: Proposal) -> tuple[list[str], list[str]]:
    """Everyone involved, by address: (people with an account, outside addresses).

    The driver, the contributors, everyone who voted (an objection is part of a vote),
    the informed members, and the informed addresses that did not opt out. People are
    checked when the email goes: someone who has left the team since is not told.
    """
    people = [proposal.driver, *proposal.contributors.all(), *proposal.informed.all()]
    voters = proposal.votes.select_related("voter").values_list("voter__email", "voter__is_active")
    members = {user.email.lower() for user in people if user.email and user.is_active}
    members |= {email.lower() for email, active in voters if email and active}
    in_team = Membership.objects.filter(team=proposal.team_id).values_list("user__email", flat=True)
    members &= {email.lower() for email in in_team}
    opted_out = set(
        OutcomeOptOut.objects.filter(team=proposal.team_id).values_list("email", flat=True)
    )
    outside = {email.lower() for email in proposal.informed_emails} - members - opted_out
    return sorted(members), sorted(outside)


def _outcome_context(proposal: Proposal) -> dict:
    blocks = (
        proposal.objections.filter(kind=ObjectionKind.BLOCK)
        .select_related("voter", "option")
        .order_by("created_at", "pk")
    )
    return _context(
        proposal,
        outcome="decided" if proposal.status == Status.DECIDED else "declined",
        decided_by=person_name(proposal.decided_by) if proposal.decided_by else "the approver",
        rationale_html=render_markdown(proposal.rationale),
        rationale_text=markdown_to_text(proposal.rationale),
        blocks=[
            {
                "voter": person_name(block.voter),
                "option": block.option.title,
                "reason": block.reason,
                "answer": proposal.block_answers.get(block.key, ""),
            }
            for block in blocks
        ],
        action_items=[
            {
                "text": item.text,
                "owner": person_name(item.owner) if item.owner else "",
                "due_on": item.due_on,
            }
            for item in proposal.action_items.select_related("owner")
        ],
    )


def _outcome_message_id(proposal: Proposal, address: str) -> str:
    return message_id_make(what="outcome", pk=proposal.pk, occasion=address)


def outcome_to_involved(*, proposal: Proposal) -> None:
    """The outcome, to everyone involved (``outcome_recipients``); outside addresses
    also get a link to stop the team's outcome emails."""
    members, outside = outcome_recipients(proposal=proposal)
    context = _outcome_context(proposal)
    subject = f"{_prefix(proposal)} {context['outcome']}: {proposal.title}"
    for address in members:
        email_send(
            to=address,
            subject=subject,
            template="proposal_outcome",
            context=context,
            # One per address: a retry after a failure halfway down the list is the
            # same message to those who already have it.
            message_id=_outcome_message_id(proposal, address),
        )
    for address in outside:
        token = outcome_opt_out_token_make(team_id=proposal.team_id, email=address)
        unsubscribe = absolute_url(
            reverse(
                "proposals:outcome_unsubscribe",
                kwargs={"slug": proposal.team.slug, "token": token},
            )
        )
        email_build(
            to=address,
            subject=subject,
            template="proposal_outcome",
            context={**context, "unsubscribe_url": unsubscribe},
            headers={
                "List-Unsubscribe": f"<{unsubscribe}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
            message_id=_outcome_message_id(proposal, address),
        ).send()


def mentions(*, comment: Comment) -> None:
    proposal = comment.proposal
    for user in mentioned_users(team=proposal.team, body=comment.body):
        if user.pk == comment.author_id:
            continue
        email_send(
            to=user.email,
            subject=f"{_prefix(proposal)} you were mentioned: {proposal.title}",
            template="proposal_mention",
            context=_context(
                proposal,
                comment=comment,
                author=person_name(comment.author) if comment.author else "Someone",
                body_html=render_markdown(comment.body),
                body_text=markdown_to_text(comment.body),
            ),
            message_id=message_id_make(what="mention", pk=comment.pk, occasion=user.pk),
        )


def decision_review_due(*, proposal: Proposal) -> None:
    email_send(
        to=proposal.driver.email,
        subject=f"{_prefix(proposal)} time to review the decision: {proposal.title}",
        template="proposal_review_due",
        context=_context(proposal),
        message_id=message_id_make(what="review-due", pk=proposal.pk, occasion=proposal.review_on),
    )
