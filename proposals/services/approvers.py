"""What naming someone approver does to their vote: the approver decides, not votes."""

from proposals.models import Objection, Vote

APPROVER_VOTE_WITHDRAWN = "; their own vote was withdrawn: the approver decides"


def approver_votes_withdraw(*, proposals: list[int], approver) -> set[int]:
    """Deletes the votes (and objections) ``approver`` cast on ``proposals`` before
    being made their approver: the approver decides, and a vote of theirs would count
    in the tally and ask them to answer their own block. Returns the proposals touched."""
    touched = set(
        Vote.objects.filter(proposal__in=proposals, voter=approver).values_list(
            "proposal_id", flat=True
        )
    )
    touched |= set(
        Objection.objects.filter(proposal__in=proposals, voter=approver).values_list(
            "proposal_id", flat=True
        )
    )
    Objection.objects.filter(proposal__in=touched, voter=approver).delete()
    Vote.objects.filter(proposal__in=touched, voter=approver).delete()
    return touched
