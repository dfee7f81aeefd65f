"""Design pages: list, write, revise, review, retire. Thin: access, form, service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices.markdown import render_markdown
from practices.models import Membership
from practices.revisions import diff_hunks, side_by_side
from practices.teams.selectors import membership_get_for_user
from practices.web import contributor_required, form_errors_apply, lead_required
from proposals.forms.pages import (
    LeadApproveForm,
    PageEditForm,
    PageFilterForm,
    PageForm,
    PageStatusForm,
    RequestReviewForm,
    ReviewForm,
)
from proposals.models import DesignPage, PageStatus, Review
from proposals.selectors import pages as selectors
from proposals.selectors.access import (
    design_page_get_for_user,
    drives,
    proposal_get_for_user,
)
from proposals.services import pages as services

PAGE_SIZE = 25
HISTORY_PAGE_SIZE = 25
MY_REVIEWS = "needs-my-review"


# Shown on the 403 page to an observer who tries to write.
OBSERVERS_READ = "Observers read design pages; members and leads write them."


def _detail(
    request: HttpRequest,
    membership: Membership,
    page: DesignPage,
    *,
    request_form: RequestReviewForm | None = None,
    review_form: ReviewForm | None = None,
    lead_form: LeadApproveForm | None = None,
    fragment: bool = False,
    notice: str = "",
) -> HttpResponse:
    """The page of one design page, or (for htmx) its review panel alone."""
    panel = selectors.design_page_review_panel(page=page, user=request.user)
    open_for_review = page.status in (PageStatus.IN_REVIEW, PageStatus.APPROVED)
    is_driver = drives(membership, page)
    stuck = page.status == PageStatus.IN_REVIEW and panel.progress.stuck and not panel.progress.met
    if request_form is None and is_driver and page.status != PageStatus.OBSOLETE:
        request_form = RequestReviewForm(candidates=panel.candidates)
    if review_form is None and panel.my_review is not None and open_for_review:
        review_form = ReviewForm(initial=_current_answer(panel.my_review, page))
    context = {
        "team": membership.team,
        "membership": membership,
        "nav": "design",
        "page": page,
        "panel": panel,
        "request_form": request_form if is_driver else None,
        "review_form": review_form if panel.my_review is not None and open_for_review else None,
        "can_edit": services.can_edit_page(page=page, user=request.user, role=membership.role),
        "stuck": stuck,
        "lead_form": _lead_form(membership, page, stuck, lead_form),
        "events": selectors.design_page_event_list(page=page),
        "notice": notice,
        "oob": fragment,
    }
    if fragment:
        return render(request, "proposals/page_detail.html#review_panel", context)
    context["body"] = render_markdown(page.body)
    return render(request, "proposals/page_detail.html", context)


def _lead_form(
    membership: Membership, page: DesignPage, stuck: bool, posted: LeadApproveForm | None
) -> LeadApproveForm | None:
    """A lead's form to approve a page nobody can approve: the one posted, else a new one
    while the page is stuck; never for anyone else."""
    if not membership.is_lead:
        return None
    if posted is None and stuck:
        return LeadApproveForm(initial={"version": page.version})
    return posted


def _answered(
    request: HttpRequest, membership: Membership, page: DesignPage, notice: str
) -> HttpResponse:
    """After an answer on the review panel: the page again, or (htmx) the panel alone."""
    page.refresh_from_db()
    if not request.htmx:
        messages.success(request, notice)
        return redirect(
            reverse("proposals:page_detail", args=[page.team.slug, page.number]) + "#review"
        )
    return _detail(request, membership, page, fragment=True, notice=notice)


def _current_answer(review: Review, page: DesignPage) -> dict:
    """The reviewer's answer on this revision, to change it; a blank form otherwise."""
    initial = {"version": page.version}
    if review.version == page.version and review.state != Review.State.REQUESTED:
        decision = (
            ReviewForm.APPROVE if review.state == Review.State.APPROVED else ReviewForm.CHANGES
        )
        initial |= {"decision": decision, "comment": review.comment}
    return initial


@require_GET
def page_list(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    filters = PageFilterForm(request.GET)
    filters.is_valid()
    mine = request.GET.get("view") == MY_REVIEWS
    status = filters.cleaned_data.get("status") or None
    pages = selectors.design_page_list(
        team=membership.team,
        status=status,
        awaiting_review_by=request.user if mine else None,
    )
    listing = Paginator(pages, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "proposals/page_list.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "design",
            "filters": filters,
            "listing": listing,
            "mine": mine,
            "statuses": PageStatus.choices,
            "status_label": PageStatus(status).label if status else "",
            "can_write": membership.takes_part,
        },
    )


@require_http_methods(["GET", "POST"])
def page_create(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    contributor_required(membership, OBSERVERS_READ)
    form = PageForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            page = services.design_page_create(
                team=membership.team, author=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, "Page started. Ask for a review when it is ready.")
            return redirect(page)
    context = {"team": membership.team, "membership": membership, "nav": "design", "form": form}
    return render(request, "proposals/page_form.html", context)


@require_POST
def page_create_from_proposal(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, proposal = proposal_get_for_user(slug=slug, number=number, user=request.user)
    contributor_required(membership, OBSERVERS_READ)
    try:
        page, created = services.design_page_create_from_proposal(
            proposal=proposal, author=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(proposal)
    if created:
        messages.success(request, f"Design page started from {proposal.code}. You drive it.")
    else:
        messages.info(request, f"{proposal.code} already has this design page.")
    return redirect(page)


@require_GET
def page_detail(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    return _detail(request, membership, page)


@require_http_methods(["GET", "POST"])
def page_edit(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    if not services.can_edit_page(page=page, user=request.user, role=membership.role):
        raise PermissionDenied("The driver and the team's leads edit a design page.")
    if page.status == PageStatus.OBSOLETE:
        messages.error(request, "This page is obsolete: it is kept as it was.")
        return redirect(page)
    initial = {"title": page.title, "body": page.body, "version": page.version}
    form = PageEditForm(request.POST if request.method == "POST" else None, initial=initial)
    conflict = None
    if form.is_valid():
        try:
            services.design_page_update(
                page=page, author=request.user, expected_version=form.cleaned_data["version"],
                title=form.cleaned_data["title"], body=form.cleaned_data["body"],
                message=form.cleaned_data["message"],
            )  # fmt: skip
        except services.PageConflict as error:
            conflict = _conflict(form, error.page)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, f"Saved as revision #{page.version}.")
            return redirect(page)
    context = {"team": membership.team, "membership": membership, "nav": "design"}
    context |= {"page": page, "form": form, "conflict": conflict}
    return render(request, "proposals/page_form.html", context)


def _conflict(form: PageEditForm, page: DesignPage) -> selectors.PageConflictView:
    """The other change next to the editor's; saving again from here keeps the editor's."""
    conflict = selectors.design_page_conflict(
        page=page,
        started_from=form.cleaned_data["version"],
        title=form.cleaned_data["title"],
        body=form.cleaned_data["body"],
    )
    form.set_version(page.version)
    return conflict


@require_GET
def page_history(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    listing = Paginator(selectors.design_page_revision_list(page=page), HISTORY_PAGE_SIZE)
    revisions = listing.get_page(request.GET.get("page"))
    rows = [
        (revision, "Revision", diff_hunks(revision.diff), revision.number) for revision in revisions
    ]
    return render(
        request,
        "proposals/page_history.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "design",
            "page": page,
            "revisions": revisions,
            "rows": rows,
            # The newest two are ticked on the first page only: older pages start unpicked.
            "preselect": revisions.number == 1,
        },
    )


@require_GET
def page_compare(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """Any two revisions of the page side by side (``?a=<number>&b=<number>``)."""
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    picked = [request.GET.get("a", ""), request.GET.get("b", "")]
    if not all(value.isdigit() for value in picked):
        messages.error(request, "Pick two revisions to compare.")
        return redirect("proposals:page_history", slug=slug, number=number)
    older, newer = sorted(
        (selectors.design_page_revision_get(page=page, number=int(n)) for n in picked),
        key=lambda revision: revision.number,
    )
    return render(
        request,
        "proposals/page_compare.html",
        {
            "team": membership.team,
            "membership": membership,
            "nav": "design",
            "page": page,
            "older": older,
            "newer": newer,
            "rows": side_by_side(older.text, newer.text),
        },
    )


@vary_on_headers("HX-Request")
@require_POST
def page_request_review(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    if not drives(membership, page):
        raise PermissionDenied("Only the page's driver asks for reviews.")
    panel = selectors.design_page_review_panel(page=page, user=request.user)
    form = RequestReviewForm(request.POST, candidates=panel.candidates)
    if form.is_valid():
        try:
            asked = services.design_page_request_review(
                page=page, actor=request.user, reviewer_ids=form.cleaned_data["reviewers"]
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            people = "person" if len(asked) == 1 else "people"
            return _answered(request, membership, page, f"Asked {len(asked)} {people} to review.")
    return _detail(request, membership, page, request_form=form, fragment=bool(request.htmx))


@vary_on_headers("HX-Request")
@require_POST
def page_review(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    if not page.reviews.filter(reviewer=request.user).exists():
        raise PermissionDenied("Only the reviewers the driver asked answer.")
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            services.design_page_review(
                page=page, reviewer=request.user, approve=form.approve,
                comment=form.cleaned_data["comment"], version=form.cleaned_data["version"],
            )  # fmt: skip
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            return _answered(request, membership, page, "Thanks: your review is recorded.")
    return _detail(request, membership, page, review_form=form, fragment=bool(request.htmx))


@vary_on_headers("HX-Request")
@require_POST
def page_lead_approve(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    """A lead approves a page the team's review policy leaves without an approver."""
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    lead_required(membership, "Only a lead of the team approves a page this way.")
    form = LeadApproveForm(request.POST)
    if form.is_valid():
        try:
            services.design_page_lead_approve(
                page=page, actor=request.user, note=form.cleaned_data["note"],
                version=form.cleaned_data["version"],
            )  # fmt: skip
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            # The service approves exactly the posted version, or refuses.
            version = form.cleaned_data["version"]
            notice = f"Approved revision #{version} as lead; your note is on the timeline."
            return _answered(request, membership, page, notice)
    return _detail(request, membership, page, lead_form=form, fragment=bool(request.htmx))


@require_POST
def page_status(request: HttpRequest, slug: str, number: int) -> HttpResponse:
    membership, page = design_page_get_for_user(slug=slug, number=number, user=request.user)
    if not services.can_retire_page(page=page, user=request.user, role=membership.role):
        raise PermissionDenied("The driver and the team's leads mark a page obsolete.")
    form = PageStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["status"]))
        return redirect(page)
    try:
        services.design_page_mark_obsolete(page=page, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Marked obsolete. It stays readable, with its history.")
    return redirect(page)
