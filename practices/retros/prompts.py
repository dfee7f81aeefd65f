"""What the retro board opens with, besides the open action items the board shows.

Temporary (issue 12, phase 1): it still reads ``proposals.models``. Phase 2 replaces it
with the retro prompt registry (``practices.registries``) and deletes this file.
"""

from datetime import date

from django.db.models import QuerySet

from practices.models import JiraConnection, Retro
from practices.retros import selectors as retro_selectors
from proposals.models import Proposal, Status

TICKET_PROMPTS_SHOWN = 15


def proposal_list_review_due(*, retro: Retro, previous: Retro | None) -> QuerySet[Proposal]:
    """Decided proposals whose review date falls between the previous retro and this one."""

    def local_day(moment) -> date:
        return moment.astimezone(retro.tzinfo).date()

    proposals = Proposal.objects.filter(
        team=retro.team_id,
        status=Status.DECIDED,
        review_on__isnull=False,
        review_on__lte=local_day(retro.starts_at),
    )
    if previous is not None:
        proposals = proposals.filter(review_on__gt=local_day(previous.starts_at))
    return proposals.select_related("team").order_by("review_on", "number")


def retro_prompts_get(*, retro: Retro) -> dict:
    """What the retro opens with, besides the open action items the board itself shows."""
    previous = retro_selectors.retro_previous(retro=retro)
    prompts: dict = {
        "decisions": list(proposal_list_review_due(retro=retro, previous=previous)),
        "tickets": None,
        "tickets_more": 0,
    }
    if JiraConnection.objects.filter(team=retro.team_id).exists():
        tickets = retro_selectors.retro_tickets_finished(retro=retro, previous=previous)
        shown = list(tickets[: TICKET_PROMPTS_SHOWN + 1])
        prompts["tickets"] = shown[:TICKET_PROMPTS_SHOWN]
        if len(shown) > TICKET_PROMPTS_SHOWN:
            prompts["tickets_more"] = tickets.count() - TICKET_PROMPTS_SHOWN
    return prompts
