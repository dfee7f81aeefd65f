"""What retros add to a person's attention items (for the coming inbox): the open action
items they own.

Registered into ``practices.registries`` from ``PracticesConfig.ready()``.
"""

import datetime as dt

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F

from practices.models import ActionItemStatus, RetroActionItem, Team
from practices.registries import AttentionItem, AttentionSource


def _due_at(item: RetroActionItem) -> dt.datetime | None:
    # Due *on* a day of the team's calendar: late once that day is over there.
    if item.due_date is None:
        return None
    next_day = item.due_date + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(), tzinfo=item.retro.team.tzinfo)


def action_item_attention_list(*, user: AbstractBaseUser, teams: list[Team]) -> list[AttentionItem]:
    """The open action items ``user`` owns in ``teams``, soonest due first; one query."""
    items = (
        RetroActionItem.objects.filter(
            owner=user, status=ActionItemStatus.OPEN, retro__team__in=teams
        )
        .select_related("retro__team")
        .order_by(F("due_date").asc(nulls_last=True), "created_at", "id")
    )
    return [
        AttentionItem(
            kind="action_item",
            team_id=item.retro.team_id,
            title=item.text,
            reason="You own this action item from a retro.",
            url=item.retro.get_absolute_url(),
            due_at=_due_at(item),
            key=f"retro-action-item:{item.pk}",
        )
        for item in items
    ]


ACTION_ITEMS = AttentionSource(key="action_items", list=action_item_attention_list, order=40)
