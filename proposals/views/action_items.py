"""A decision's action items: sending one to Jira, and its row while that happens."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from proposals.models import JiraState
from proposals.selectors.access import action_item_get_for_user
from proposals.selectors.proposals import action_item_jira_enabled
from proposals.services.action_items import action_item_jira_create

ROW = "proposals/detail.html#action_item"


def _row(request: HttpRequest, membership, item, error: str = "") -> HttpResponse:
    proposal = item.proposal
    context = {
        "team": membership.team,
        "membership": membership,
        "proposal": proposal,
        "item": item,
        # Called by the template only where a row offers the button, not on every poll.
        "jira_enabled": partial(action_item_jira_enabled, proposal=proposal, membership=membership),
        "jira_refusal": error,
    }
    return render(request, ROW, context)


def _anchor(item) -> str:
    return f"{item.proposal.get_absolute_url()}#action-item-{item.pk}"


@vary_on_headers("HX-Request")
@require_POST
def action_item_jira(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    """ "Create in Jira": queues the ticket's creation; never talks to Jira itself."""
    membership, item = action_item_get_for_user(
        slug=slug, number=number, item_id=item_id, user=request.user
    )
    error = ""
    try:
        item = action_item_jira_create(item=item, user=request.user)
    except ValidationError as problem:
        error = " ".join(problem.messages)
    if request.htmx:
        return _row(request, membership, item, error)
    if error:
        messages.error(request, error)
    elif item.jira_state == JiraState.CREATED:
        messages.info(request, f"“{item.text}” is already in Jira as {item.jira_key}.")
    else:
        messages.success(request, f"“{item.text}” is being created in Jira.")
    return redirect(_anchor(item))


@vary_on_headers("HX-Request")
@require_GET
def action_item_row(request: HttpRequest, slug: str, number: int, item_id: int) -> HttpResponse:
    """The item's row, which polls itself while its ticket is being created."""
    membership, item = action_item_get_for_user(
        slug=slug, number=number, item_id=item_id, user=request.user
    )
    if not request.htmx:
        return redirect(_anchor(item))
    return _row(request, membership, item)
