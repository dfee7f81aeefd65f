"""What proposals add to the retro board: the decisions whose review date has come.

Registered into ``practices.registries`` from ``ProposalsConfig.ready()``; the board
reads the registry and never imports proposals.
"""

from datetime import date

from django.db.models import QuerySet

from practices.models import Retro
from practices.registries import RetroPrompt, RetroPromptSource
from proposals.models import Proposal, Status


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


def _decisions_due(*, retro: Retro, previous: Retro | None) -> RetroPrompt:
    # Always shown, empty or not: a team that decides reviews its decisions at the retro.
    return RetroPrompt(
        title="Decisions due for review",
        empty="No decision is due for review.",
        rows=list(proposal_list_review_due(retro=retro, previous=previous)),
        row_template="proposals/retro_prompt.html",
    )


DECISIONS_DUE = RetroPromptSource(key="decisions_due", order=10, collect=_decisions_due)
