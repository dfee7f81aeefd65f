"""The discussion of a proposal: members and leads write in it until the decision."""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from practices.outbox.services import outbox_enqueue
from practices.teams.selectors import membership_takes_part
from proposals.models import Comment, Proposal, Status
from proposals.selectors.proposals import MENTION


@transaction.atomic
def comment_add(
    *, proposal: Proposal, author: AbstractBaseUser, body: str, parent_id: int | None = None
) -> Comment:
    if not membership_takes_part(team_id=proposal.team_id, user=author):
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
