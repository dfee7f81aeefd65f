"""Pages for DACI proposals: list, write, vote, discuss, decide."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices.charter.sections import section_spec
from practices.teams.selectors import membership_get_for_user
from practices.web import contributor_required, form_errors_apply
from proposals.forms.proposals import (
    CommentForm,
    OptionFormSet,
    ProposalFilterForm,
    ProposalForm,
    StatusForm,
    VoteForm,
    option_inputs,
)
from proposals.models import DUE_TIME, Status
from proposals.selectors import proposals as selectors
from proposals.selectors.access import (
    approves,
    can_mark_superseded,
    drives,
    proposal_get_for_user,
)
from proposals.services import proposals as services
from proposals.views import fragments

PAGE_SIZE = 20


# Shown on the 403 page to an observer who tries to write.
OBSERVERS_READ = "Observers read proposals; members and leads write them."


@require_GET
def proposal_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    filters = ProposalFilterForm(request.GET)
    filters.is_valid()
    mine = request.GET.get("view") == "needs-my-vote"
    proposals = selectors.proposal_list(
        team=membership.team,
        status=filters.cleaned_data.get("status", ""),
        query=filters.cleaned_data.get("q", ""),
        needs_vote_of=request.user if mine else None,
    )
    page = Paginator(proposals, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "proposals/list.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "proposals",
            "filters": filters,
            "page": page,
            "mine": mine,
            "querystring": request.GET.urlencode(),
        },
    )


def _default_due(team) -> dict:
    due = selectors.proposal_due_default(team=team)
    return {"due_date": due.date(), "due_time": due.time()}


def _form_page(request, membership, form, options, proposal=None) -> HttpResponse:
    context = {"form": form, "options": options, "proposal": proposal}
    return render(
        request,
        "proposals/form.html",
        {"team": membership.team, "membership": membership, "nav": "proposals", **context},
    )


@require_http_methods(["GET", "POST"])
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    contributor_required(membership, OBSERVERS_READ)
    team = membership.team
    initial = {
        **_default_due(team),
        "approver": team.memberships.filter(role="lead").values_list("user_id", flat=True).first(),
    }
    form = ProposalForm(request.POST or None, team=team, initial=initial)
    options = OptionFormSet(request.POST or None, prefix="options")
    if request.method == "POST" and form.is_valid() and options.is_valid():
        try:
            proposal = services.proposal_create(
                team=team,
                author=request.user,
                driver=request.user,
                options=option_inputs(options),
                **form.service_fields(),
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(
                request, f"{proposal.code} saved as a draft. Open it when it is ready."
            )
            return redirect(proposal)
    return _form_page(request, membership, form, options)


@require_http_methods(["GET", "POST"])
def proposal_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    if not drives(membership, proposal):
        raise PermissionDenied("Only the driver edits the proposal.")
    initial = ProposalForm.initial_for(proposal)
    form = ProposalForm(request.POST or None, team=membership.team, initial=initial)
    options = OptionFormSet(
        request.POST or None,
        prefix="options",
        initial=None
        if request.method == "POST"
        else list(proposal.options.values("title", "description", "pros", "cons", "cost")),
    )
    if request.method == "POST" and form.is_valid() and options.is_valid():
        try:
            services.proposal_update(
                proposal=proposal,
                actor=request.user,
                actor_role=membership.role,
                options=option_inputs(options),
                **form.service_fields(),
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, f"{proposal.code} saved.")
            return redirect(proposal)
    return _form_page(request, membership, form, options, proposal)


def _vote_form(page, extra: dict) -> VoteForm:
    """The form a vote was posted with (to show its errors), else one for the reader's vote."""
    return extra.pop("vote_form", None) or VoteForm(
        options=page.options, initial=VoteForm.initial_for(page.my_vote)
    )


def _detail_context(request, membership, proposal, **extra) -> dict:
    page = selectors.proposal_page(proposal=proposal, user=request.user)
    can_comment = membership.takes_part and proposal.status in (Status.DRAFT, Status.OPEN)
    return {
        "team": membership.team,
        "membership": membership,
        "nav": "proposals",
        "proposal": proposal,
        "page": page,
        **fragments.page_fragments(request, proposal=proposal, page=page, can_comment=can_comment),
        "vote_form": _vote_form(page, extra),
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        # The approver decides rather than votes.
        "can_vote": membership.takes_part
        and proposal.is_voting
        and proposal.approver_id != request.user.pk,
        "can_comment": can_comment,
        "is_driver": drives(membership, proposal),
        "is_approver": approves(membership, proposal),
        "can_mark_superseded": can_mark_superseded(
            membership=membership, approves_another_decision=page.approves_another_decision
        ),
        "jira_enabled": bool(page.action_items)
        and selectors.action_item_jira_enabled(
            proposal=proposal, membership=membership, team_has_jira=page.team_has_jira
        ),
        "charter_spec": section_spec(proposal.charter_section_key)
        if proposal.charter_section_key
        else None,
        **extra,
    }


@require_GET
def proposal_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    return render(request, "proposals/detail.html", _detail_context(request, membership, proposal))


@vary_on_headers("HX-Request")
@require_GET
def proposal_votes(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Who voted what, with reasons: its own page, or the list alone for the proposal page."""
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    has_voted = proposal.votes.filter(voter=request.user).exists()
    visible = selectors.tally_visible(proposal=proposal, has_voted=has_voted)
    context = {
        "team": membership.team,
        "membership": membership,
        "nav": "proposals",
        "proposal": proposal,
        "visible": visible,
        "votes": selectors.proposal_votes(proposal=proposal) if visible else [],
    }
    template = "proposals/votes.html#vote_list" if request.htmx else "proposals/votes.html"
    return render(request, template, context)


@require_POST
def proposal_status(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    form = StatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(proposal)
    action = form.cleaned_data["action"]
    try:
        if action == "open":
            services.proposal_open(proposal=proposal, actor=request.user)
        elif action == "withdraw":
            services.proposal_withdraw(proposal=proposal, actor=request.user)
        elif action == "close":
            services.proposal_close_early(proposal=proposal, actor=request.user)
        else:
            due = dt.datetime.combine(
                form.cleaned_data["due_date"], form.cleaned_data["due_time"] or DUE_TIME
            ).replace(tzinfo=membership.team.tzinfo)
            services.proposal_reopen(proposal=proposal, actor=request.user, due_at=due)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(proposal)


@vary_on_headers("HX-Request")
@require_POST
def proposal_vote(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    contributor_required(membership, OBSERVERS_READ)
    form = VoteForm(request.POST, options=proposal.options.all())
    saved = False
    if form.is_valid():
        try:
            services.proposal_vote_cast(
                proposal=proposal,
                voter=request.user,
                option_id=form.option_id(),
                objections=[services.ObjectionInput(*row) for row in form.objections()],
                reason=form.cleaned_data["reason"],
            )
            saved = True
        except ValidationError as error:
            form_errors_apply(form, error)
    if not request.htmx:
        if saved:
            messages.success(
                request, "Your vote is recorded. You can change it until voting closes."
            )
            return redirect(proposal)
        return render(
            request,
            "proposals/detail.html",
            _detail_context(request, membership, proposal, vote_form=form),
        )
    proposal.refresh_from_db()
    context = _detail_context(
        request, membership, proposal, vote_form=None if saved else form, vote_saved=saved
    )
    # The vote is also a line in the timeline: it comes along out of band.
    response = render(request, "proposals/detail.html#voting", context)
    response.write(render_to_string("proposals/detail.html#timeline", {**context, "oob": True}))
    return response


@vary_on_headers("HX-Request")
@require_POST
def proposal_comment(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    contributor_required(membership, OBSERVERS_READ)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                proposal=proposal,
                author=request.user,
                body=form.cleaned_data["body"],
                parent_id=form.cleaned_data["parent"],
            )
            form = None
        except ValidationError as error:
            form_errors_apply(form, error)
    if not request.htmx:
        if form is None:
            return redirect(proposal.get_absolute_url() + "#discussion")
        return render(
            request,
            "proposals/detail.html",
            _detail_context(request, membership, proposal, comment_form=form),
        )
    context = _detail_context(request, membership, proposal, comment_form=form)
    return render(request, "proposals/detail.html#discussion", context)
