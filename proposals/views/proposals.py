"""Pages for DACI proposals: list, write, vote, discuss, decide."""

import datetime as dt
from functools import partial

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices.charter.sections import section_spec
from practices.selectors import charter_section_get, membership_get_for_user
from proposals import emails
from proposals.forms.proposals import (
    ActionItemForm,
    CommentForm,
    DecideForm,
    OptionFormSet,
    ProposalFilterForm,
    ProposalForm,
    StatusForm,
    VoteForm,
)
from proposals.models import Proposal, Status
from proposals.selectors import proposals as selectors
from proposals.selectors.access import (
    approves,
    can_mark_superseded,
    can_take_part,
    drives,
    proposal_get_for_user,
)
from proposals.services import proposals as services
from proposals.views import fragments

PAGE_SIZE = 20
ACTION_ITEM_ROWS = 4


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _require_part(membership) -> None:
    if not can_take_part(membership):
        raise PermissionDenied("Observers read proposals; members and leads write them.")


def _options(formset) -> list[services.OptionInput]:
    return [
        services.OptionInput(**{k: v for k, v in row.items() if k != "DELETE"})
        for row in formset.cleaned_data
        if row and row.get("title") and not row.get("DELETE")
    ]


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


@require_GET
def decision_log(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    page = Paginator(selectors.decision_log(team=membership.team), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "proposals/decision_log.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "decisions",
            "page": page,
        },
    )


def _default_due(team) -> dict:
    due = timezone.localtime(timezone.now(), team.tzinfo) + dt.timedelta(days=7)
    return {"due_date": due.date(), "due_time": dt.time(17, 0)}


@require_http_methods(["GET", "POST"])
def proposal_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    _require_part(membership)
    team = membership.team
    initial = {
        **_default_due(team),
        "approver": team.memberships.filter(role="lead").values_list("user_id", flat=True).first(),
    }
    form = ProposalForm(request.POST or None, team=team, initial=initial)
    options = OptionFormSet(request.POST or None, prefix="options")
    if request.method == "POST" and form.is_valid() and options.is_valid():
        data = form.cleaned_data
        try:
            proposal = services.proposal_create(
                team=team,
                author=request.user,
                driver=request.user,
                title=data["title"],
                approver=data["approver"],
                due_at=form.due_at(),
                options=_options(options),
                impact=data["impact"],
                contributors=list(data["contributors"]),
                informed=list(data["informed"]),
                informed_emails=data["informed_emails"],
                background=data["background"],
                relevant_data=data["relevant_data"],
                hide_tally=data["hide_tally"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, f"{proposal.code} saved as a draft. Open it when it is ready."
            )
            return redirect(proposal)
    return render(
        request,
        "proposals/form.html",
        {
            "team": team,
            "membership": membership,
            "nav": "proposals",
            "form": form,
            "options": options,
            "proposal": None,
        },
    )


@require_http_methods(["GET", "POST"])
def proposal_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    if not drives(membership, proposal):
        raise PermissionDenied("Only the driver edits the proposal.")
    team = membership.team
    local_due = timezone.localtime(proposal.due_at, team.tzinfo)
    initial = {
        "title": proposal.title,
        "impact": proposal.impact,
        "approver": proposal.approver_id,
        "contributors": list(proposal.contributors.values_list("pk", flat=True)),
        "informed": list(proposal.informed.values_list("pk", flat=True)),
        "informed_emails": ", ".join(proposal.informed_emails),
        "due_date": local_due.date(),
        "due_time": local_due.time(),
        "background": proposal.background,
        "relevant_data": proposal.relevant_data,
        "hide_tally": proposal.hide_tally,
    }
    form = ProposalForm(request.POST or None, team=team, initial=initial)
    options = OptionFormSet(
        request.POST or None,
        prefix="options",
        initial=None
        if request.method == "POST"
        else list(proposal.options.values("title", "description", "pros", "cons", "cost")),
    )
    if request.method == "POST" and form.is_valid() and options.is_valid():
        data = form.cleaned_data
        try:
            services.proposal_update(
                proposal=proposal,
                actor=request.user,
                actor_role=membership.role,
                title=data["title"],
                approver=data["approver"],
                due_at=form.due_at(),
                options=_options(options),
                impact=data["impact"],
                contributors=list(data["contributors"]),
                informed=list(data["informed"]),
                informed_emails=data["informed_emails"],
                background=data["background"],
                relevant_data=data["relevant_data"],
                hide_tally=data["hide_tally"],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{proposal.code} saved.")
            return redirect(proposal)
    return render(
        request,
        "proposals/form.html",
        {
            "team": team,
            "membership": membership,
            "nav": "proposals",
            "form": form,
            "options": options,
            "proposal": proposal,
        },
    )


def _detail_context(request, membership, proposal, **extra) -> dict:
    page = selectors.proposal_page(proposal=proposal, user=request.user)
    all_comments = request.GET.get("discussion") == "all"
    all_events = request.GET.get("timeline") == "all"
    can_comment = can_take_part(membership) and proposal.status in (Status.DRAFT, Status.OPEN)
    my_vote = page.my_vote
    vote_form = extra.pop("vote_form", None) or VoteForm(
        options=page.options, initial=VoteForm.initial_for(my_vote)
    )
    return {
        "team": membership.team,
        "membership": membership,
        "nav": "proposals",
        "proposal": proposal,
        "page": page,
        # Called by the template only where it shows them (a vote's answer has no
        # discussion), then read from the cache unless something was added.
        "threads_html": partial(
            fragments.threads_html,
            request,
            proposal=proposal,
            stamp=page.stamp,
            can_comment=can_comment,
            all_comments=all_comments,
        ),
        "timeline_html": partial(
            fragments.timeline_html, proposal=proposal, stamp=page.stamp, all_events=all_events
        ),
        "earlier_threads": page.stamp.earlier_threads(all_comments=all_comments),
        "earlier_events": page.stamp.earlier_events(all_events=all_events),
        "vote_form": vote_form,
        "comment_form": extra.pop("comment_form", None) or CommentForm(),
        # The approver decides rather than votes.
        "can_vote": can_take_part(membership)
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
                form.cleaned_data["due_date"], form.cleaned_data["due_time"] or dt.time(17, 0)
            ).replace(tzinfo=membership.team.tzinfo)
            services.proposal_reopen(proposal=proposal, actor=request.user, due_at=due)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect(proposal)


@vary_on_headers("HX-Request")
@require_POST
def proposal_vote(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    _require_part(membership)
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
            _apply_errors(form, error)
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
    _require_part(membership)
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
            _apply_errors(form, error)
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


@require_http_methods(["GET", "POST"])
def proposal_decide(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    if not approves(membership, proposal):
        raise PermissionDenied("Only the approver decides.")
    if proposal.status != Status.OPEN:
        messages.error(request, "Only an open proposal can be decided.")
        return redirect(proposal)
    page = selectors.proposal_page(proposal=proposal, user=request.user, with_blocks=True)
    form = DecideForm(request.POST or None, options=page.options, blocks=page.blocks)
    items = [
        ActionItemForm(request.POST or None, team=membership.team, prefix=f"item{i}")
        for i in range(ACTION_ITEM_ROWS)
    ]
    if request.method == "POST" and form.is_valid() and all(item.is_valid() for item in items):
        try:
            services.proposal_decide(
                proposal=proposal,
                actor=request.user,
                option_id=form.option_id(),
                rationale=form.cleaned_data["rationale"],
                block_answers=form.block_answers(),
                review_on=form.cleaned_data["review_on"],
                action_items=[
                    services.ActionItemInput(**item.cleaned_data)
                    for item in items
                    if item.cleaned_data.get("text")
                ],
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request, f"{proposal.code} is decided; everyone involved gets an email."
            )
            return redirect(proposal)
    return render(
        request,
        "proposals/decide.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "proposals",
            "proposal": proposal,
            "page": page,
            "form": form,
            "items": items,
        },
    )


@require_POST
def proposal_supersede(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, old = proposal_get_for_user(slug=slug, number=number, user=request.user)
    raw = request.POST.get("new", "").upper().removeprefix("DACI-")
    new = (
        Proposal.objects.filter(team=membership.team, number=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if new is None:
        messages.error(request, "Give the number of a decided proposal of this team, e.g. DACI-12.")
        return redirect(old)
    try:
        services.proposal_supersede(
            old=old, new=new, actor=request.user, actor_role=membership.role
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"{old.code} is now superseded by {new.code}.")
    return redirect(old)


@require_POST
def charter_change_propose(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """A lead turns a charter edit into a draft proposal instead of saving it."""
    membership = membership_get_for_user(slug=slug, user=request.user)
    if not membership.is_lead:
        raise PermissionDenied("Only the team's leads change the charter.")
    section = charter_section_get(team=membership.team, key=key)
    spec = section_spec(key)
    editor = spec.editor(data=section.data, version=section.version, post=request.POST)
    if not editor.is_valid():
        return render(
            request,
            "practices/section_edit.html",
            {
                "team": membership.team,
                "membership": membership,
                "spec": spec,
                "section": section,
                "editor": editor,
            },
        )
    proposal = services.charter_change_propose(
        section=section, data=editor.to_data(), author=request.user, why=editor.message
    )
    messages.success(request, f"{proposal.code} drafted with your change. Review it, then open it.")
    response = redirect("proposals:edit", slug=slug, number=proposal.number)
    if request.htmx:
        response = HttpResponse(status=204, headers={"HX-Redirect": response["Location"]})
    return response


# The token in the address is the authority (no account, no sign-in); RFC 8058 one-click
# POSTs come from mail providers without a CSRF token, so this view is exempt.
@require_http_methods(["GET", "POST"])
@login_not_required
@csrf_exempt
def outcome_unsubscribe(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """GET: a page with a confirm button; POST (the button, or one-click): stop the team's
    outcome emails to an address outside the team."""
    try:
        team_id, email = emails.outcome_opt_out_token_read(token=token)
    except (signing.BadSignature, ValueError, TypeError):
        team_id = email = None
    team = selectors.team_for_opt_out(team_id=team_id, slug=slug) if team_id else None
    if team is None:
        return render(request, "proposals/outcome_unsubscribe.html", {"invalid": True}, status=400)
    context = {"opt_out_team": team, "email": email}
    if request.method == "POST":
        services.outcome_opt_out(team=team, email=email)
        return render(request, "proposals/outcome_unsubscribe.html", {**context, "done": True})
    return render(request, "proposals/outcome_unsubscribe.html", context)
