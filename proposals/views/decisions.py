"""Pages around a decision: the log, deciding, superseding, a charter change proposed, and
the outcome emails' unsubscribe link."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from practices.charter.sections import section_spec
from practices.charter.selectors import charter_section_get
from practices.teams.selectors import membership_get_for_user
from practices.web import form_errors_apply, lead_required
from proposals import emails
from proposals.forms.proposals import DecideForm, action_item_forms, action_item_inputs
from proposals.models import Proposal, Status
from proposals.selectors import proposals as selectors
from proposals.selectors.access import approves, proposal_get_for_user
from proposals.services import proposals as services

PAGE_SIZE = 20


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
    items = action_item_forms(request.POST or None, membership.team)
    if request.method == "POST" and form.is_valid() and all(item.is_valid() for item in items):
        try:
            services.proposal_decide(
                proposal=proposal,
                actor=request.user,
                option_id=form.option_id(),
                rationale=form.cleaned_data["rationale"],
                block_answers=form.block_answers(),
                review_on=form.cleaned_data["review_on"],
                action_items=action_item_inputs(items),
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(
                request, f"{proposal.code} is decided; everyone involved gets an email."
            )
            return redirect(proposal)
    context = {"proposal": proposal, "page": page, "form": form, "items": items}
    return render(
        request,
        "proposals/decide.html",
        {"team": membership.team, "membership": membership, "nav": "proposals", **context},
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
    lead_required(membership, "Only the team's leads change the charter.")
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
        # 204, not django-htmx's default 200: htmx must not swap anything in first.
        return HttpResponseClientRedirect(response["Location"], status=204)
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
