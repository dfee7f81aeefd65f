"""What Jira adds to the retro board: the tickets finished since the last retro.

Registered into ``practices.registries`` from ``PracticesConfig.ready()``.
"""

from django.utils import timezone

from practices.jira.selectors import jira_ticket_list_finished
from practices.models import JiraConnection, Retro
from practices.registries import RetroPrompt, RetroPromptSource

SHOWN = 15


def _tickets_finished(*, retro: Retro, previous: Retro | None) -> RetroPrompt | None:
    # Not shown at all to a team without Jira: there is nothing it could list.
    if not JiraConnection.objects.filter(team=retro.team_id).exists():
        return None
    tickets = jira_ticket_list_finished(
        team_id=retro.team_id,
        since=previous.starts_at if previous is not None else None,
        until=min(retro.ends_at, timezone.now()),
    )
    shown = list(tickets[: SHOWN + 1])
    return RetroPrompt(
        title="Finished since the last retro",
        empty="No Jira ticket was finished since the last retro.",
        rows=shown[:SHOWN],
        # Counted only when there are more than shown: one query fewer on most boards.
        more=tickets.count() - SHOWN if len(shown) > SHOWN else 0,
        row_template="practices/retro_prompt_tickets.html",
    )


TICKETS_FINISHED = RetroPromptSource(key="tickets_finished", order=20, collect=_tickets_finished)
