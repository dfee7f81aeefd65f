"""The Jira pages: the lead's connection page and every member's tickets page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices.jira import selectors, services
from practices.jira.forms import JiraConnectionForm, ReviewStatusesForm, TicketFilterForm
from practices.models import JiraConnection, Membership
from practices.teams.selectors import membership_get_for_user
from practices.web import lead_required

TICKETS_PER_PAGE = 50


def _lead_membership(request: HttpRequest, slug: str) -> Membership:
    membership = membership_get_for_user(slug=slug, user=request.user)
    lead_required(membership, why="Only the team's leads can change its Jira connection.")
    return membership


def _connection_form(connection: JiraConnection | None, data=None) -> JiraConnectionForm:
    initial = {}
    if connection is not None:
        initial = {
            "base_url": connection.base_url,
            "deployment": connection.deployment,
            "email": connection.email,
            "jql": connection.jql,
            "sync_interval_minutes": connection.sync_interval_minutes,
        }
    return JiraConnectionForm(data, initial=initial, has_token=connection is not None)


def _connection_page(request, membership, connection, form, check=None) -> HttpResponse:
    known = selectors.jira_status_names(connection=connection) if connection else []
    chosen = connection.review_status_names(known) if connection else []
    statuses_form = ReviewStatusesForm(initial={"statuses": chosen}, known=known)
    context = {
        "team": membership.team,
        "membership": membership,
        "nav": "tickets",
        "connection": connection,
        "form": form,
        "check": check,
        "statuses_form": statuses_form,
        "runs": selectors.jira_sync_run_list(connection=connection) if connection else [],
    }
    return render(request, "practices/jira_connection.html", context)


@require_http_methods(["GET", "POST"])
def jira_connection(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _lead_membership(request, slug)
    connection = selectors.jira_connection_for_team(team=membership.team)
    form = _connection_form(connection, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.jira_connection_save(team=membership.team, **form.cleaned_data)
        except ValidationError as error:
            for name, errors in error.error_dict.items():
                form.add_error(name, errors)
        else:
            messages.success(request, "Jira connection saved. The first tickets arrive shortly.")
            return redirect("practices:jira_connection", slug=slug)
    return _connection_page(request, membership, connection, form)


@vary_on_headers("HX-Request")
@require_POST
def jira_connection_test(request: HttpRequest, slug: str) -> HttpResponse:
    """Tests what is typed in the form (the saved token if none is typed); saves nothing."""
    membership = _lead_membership(request, slug)
    connection = selectors.jira_connection_for_team(team=membership.team)
    form = _connection_form(connection, request.POST)
    check = None
    if form.is_valid():
        data = form.cleaned_data
        check = services.jira_connection_test(
            connection=connection,
            base_url=data["base_url"],
            deployment=data["deployment"],
            email=data["email"],
            token=data["token"],
            jql=data["jql"],
        )
    if request.htmx:
        context = {"form": form, "check": check}
        return render(request, "practices/jira_connection.html#test_result", context)
    return _connection_page(request, membership, connection, form, check)


@require_POST
def jira_review_statuses(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _lead_membership(request, slug)
    connection = selectors.jira_connection_for_team(team=membership.team)
    if connection is None:
        messages.error(request, "Connect Jira first.")
        return redirect("practices:jira_connection", slug=slug)
    known = selectors.jira_status_names(connection=connection)
    form = ReviewStatusesForm(request.POST, known=known)
    if form.is_valid():
        services.jira_review_statuses_save(
            connection=connection, statuses=form.cleaned_data["statuses"]
        )
        messages.success(request, "“In review” statuses saved.")
    else:
        messages.error(request, "Pick statuses from the list.")
    return redirect("practices:jira_connection", slug=slug)


@require_POST
def jira_sync_now(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _lead_membership(request, slug)
    connection = selectors.jira_connection_for_team(team=membership.team)
    if connection is None:
        messages.error(request, "Connect Jira first.")
    else:
        services.jira_sync_request(connection=connection)
        messages.success(request, "Sync queued: tickets update within a minute or two.")
    return redirect("practices:jira_connection", slug=slug)


@require_POST
def jira_disconnect(request: HttpRequest, slug: str) -> HttpResponse:
    membership = _lead_membership(request, slug)
    connection = selectors.jira_connection_for_team(team=membership.team)
    if connection is not None:
        services.jira_connection_delete(connection=connection)
        messages.success(request, "Jira disconnected: its token and tickets are deleted.")
    return redirect("practices:jira_connection", slug=slug)


@vary_on_headers("HX-Request")
@require_GET
def tickets(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    connection = selectors.jira_connection_for_team(team=membership.team)
    filter_form = TicketFilterForm(request.GET)
    filters = filter_form.filters()
    context = {
        "team": membership.team,
        "membership": membership,
        "nav": "tickets",
        "connection": connection,
        "filter_form": filter_form,
        "filters": filters,
        "layout": filter_form.layout(),
    }
    if connection is not None:
        types, assignees = selectors.jira_ticket_choices(connection=connection)
        context |= {
            "status_counts": selectors.jira_ticket_status_counts(connection=connection),
            "types": types,
            "assignees": assignees,
            "last_run": selectors.jira_sync_run_last_finished(connection=connection),
        }
        if context["layout"] == "board":
            context["board"] = selectors.jira_ticket_board(connection=connection, filters=filters)
        else:
            listed = selectors.jira_ticket_list(connection=connection, filters=filters)
            paginator = Paginator(listed, TICKETS_PER_PAGE)
            context["page"] = paginator.get_page(request.GET.get("page"))
    template = "practices/tickets.html#results" if request.htmx else "practices/tickets.html"
    return render(request, template, context)
