"""The emails around a proposal: decide now, the outcome, mentions, a review date."""

from practices.emails import absolute_url, email_send, message_id_make
from proposals.models import Comment, Proposal, Status
from proposals.selectors.proposals import mentioned_users


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


def outcome_to_informed(*, proposal: Proposal) -> None:
    recipients = {user.email.lower() for user in proposal.informed.all() if user.email}
    recipients |= {email.lower() for email in proposal.informed_emails}
    outcome = "decided" if proposal.status == Status.DECIDED else "declined"
    for address in sorted(recipients):
        email_send(
            to=address,
            subject=f"{_prefix(proposal)} {outcome}: {proposal.title}",
            template="proposal_outcome",
            context=_context(proposal, outcome=outcome),
            # One per address: a retry after a failure halfway down the list is the
            # same message to those who already have it.
            message_id=message_id_make(what="outcome", pk=proposal.pk, occasion=address),
        )


def mentions(*, comment: Comment) -> None:
    proposal = comment.proposal
    for user in mentioned_users(team=proposal.team, body=comment.body):
        if user.pk == comment.author_id:
            continue
        email_send(
            to=user.email,
            subject=f"{_prefix(proposal)} you were mentioned: {proposal.title}",
            template="proposal_mention",
            context=_context(proposal, comment=comment),
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
