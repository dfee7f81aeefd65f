"""The discussion of a proposal: members and leads write in it until the decision."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from practices.models import Membership
from practices.outbox.services import outbox_enqueue
from proposals.models import Comment, Proposal, Status
from proposals.selectors.access import VOTING_ROLES
from proposals.selectors.proposals import MENTION


@transaction.atomic
def comment_add(
    *, proposal: Proposal, author: AbstractBaseUser, body: str, parent_id: int | None = None
) -> Comment:
    if not Membership.objects.filter(
        team=proposal.team_id, user=author, role__in=VOTING_ROLES
    ).exists():
        raise PermissionDenied("Observers read the discussion; members and leads write in it.")
    if proposal.status not in (Status.DRAFT, Status.OPEN):
        raise ValidationError("The discussion closed with the decision.")
    parent = None
    if parent_id is not None:
        parent = proposal.comments.filter(pk=parent_id, parent__isnull=True).first()
        if parent is None:
            raise ValidationError({"parent": "Reply to a comment of this proposal."})
    comment = Comment.objects.create(proposal=proposal, author=author, parent=parent, body=body)
    if MENTION.search(body):
        outbox_enqueue(task="proposals.tasks.notify_mentions", args=[comment.pk])
    return comment
