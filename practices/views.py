"""Pages for teams, memberships and the charter. Thin: access, form, service, render."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices import registries, selectors, services
from practices.charter.review_policy import review_policy_warning
from practices.charter.sections import SECTIONS, section_spec
from practices.forms import (
    COMMON_TIME_ZONES,
    MemberAddForm,
    MemberHandOverForm,
    MemberUpdateForm,
    TeamForm,
    TeamSettingsForm,
)
from practices.models import Membership, Role
from practices.revisions import diff_hunks, side_by_side, text_diff
from practices.web import person_name

HISTORY_PAGE_SIZE = 25


def _require_lead(membership: Membership) -> None:
    if not membership.is_lead:
        raise PermissionDenied("Only the team's leads can do that.")


def _apply_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.membership_list_for_user(user=request.user)
    return render(request, "practices/home.html", {"memberships": memberships})


@vary_on_headers("HX-Request")
@require_GET
def team_menu(request: HttpRequest) -> HttpResponse:
    """The team switcher's list, fetched when the menu opens; without htmx, the home page."""
    if not request.htmx:
        return redirect("home")
    context = {
        "menu_loaded": True,
        "menu_memberships": selectors.membership_list_for_user(user=request.user),
        "current": request.GET.get("current", ""),
    }
    return render(request, "base.html#team_menu", context)


@require_http_methods(["GET", "POST"])
def team_create(request: HttpRequest) -> HttpResponse:
    form = TeamForm(request.POST or None, initial={"time_zone": "UTC"})
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(user=request.user, **form.cleaned_data)
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, f"{team.name} is ready. Start with its charter.")
            return redirect(team)
    return render(
        request, "practices/team_form.html", {"form": form, "time_zones": COMMON_TIME_ZONES}
    )


@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    _require_lead(membership)
    team = membership.team
    form = TeamSettingsForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        services.team_update(team=team, **form.cleaned_data)
        messages.success(request, "Team settings saved.")
        return redirect("practices:team_settings", slug=team.slug)
    return render(
        request,
        "practices/team_settings.html",
        {
            "team": team,
            "membership": membership,
            "form": form,
            "time_zones": COMMON_TIME_ZONES,
            "nav": "settings",
        },
    )


@require_GET
def charter(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    sections = [
        (section_spec(section.key), section)
        for section in selectors.charter_section_list(team=team)
    ]
    return render(
        request,
        "practices/charter.html",
        {"team": team, "membership": membership, "sections": sections, "nav": "charter"},
    )


@require_GET
def charter_section(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """One section as shown on the charter; htmx swaps it back in after Cancel."""
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    section = selectors.charter_section_get(team=membership.team, key=key)
    if not request.htmx:
        return redirect(reverse("practices:charter", kwargs={"slug": slug}) + f"#{key}")
    context = {
        "team": membership.team,
        "membership": membership,
        "spec": section_spec(key),
        "section": section,
    }
    return render(request, "practices/charter.html#section", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def charter_section_edit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    _require_lead(membership)
    section = selectors.charter_section_get(team=membership.team, key=key)
    spec = section_spec(key)
    editor = spec.editor(data=section.data, version=section.version, post=request.POST or None)
    conflict = None
    if request.method == "POST" and editor.is_valid():
        try:
            services.charter_section_update(
                section=section,
                data=editor.to_data(),
                expected_version=editor.expected_version,
                author=request.user,
                message=editor.message,
            )
        except services.CharterConflict as error:
            conflict = _conflict_context(error.section, editor)
        except services.NothingChanged:
            return _section_saved(request, membership, spec, section, changed=False)
        else:
            return _section_saved(request, membership, spec, section, changed=True)
    context = {
        "team": membership.team,
        "membership": membership,
        "spec": spec,
        "section": section,
        "editor": editor,
        "conflict": conflict,
        "nav": "charter",
        "time_zones": COMMON_TIME_ZONES if key == "retros" else (),
    }
    template = (
        "practices/charter.html#section_form" if request.htmx else "practices/section_edit.html"
    )
    return render(request, template, context)


def _section_warning(spec, section) -> str:
    """What the lead should know about what they saved; saved all the same, since the
    team may be about to change (someone joins, someone is made senior)."""
    if spec.key != "code_review":
        return ""
    return review_policy_warning(data=spec.with_defaults(section.data), team=section.team)


def _section_saved(request, membership, spec, section, *, changed: bool) -> HttpResponse:
    """Back to the section as shown: in place for htmx, else the charter at that section."""
    warning = _section_warning(spec, section)
    if request.htmx:
        context = {
            "team": membership.team,
            "membership": membership,
            "spec": spec,
            "section": section,
            "just_saved": changed,
            "unchanged": not changed,
            "warning": warning,
        }
        return render(request, "practices/charter.html#section", context)
    if changed:
        messages.success(request, f"{spec.title} saved.")
    else:
        messages.info(request, f"Nothing changed in {spec.title}; no revision was written.")
    if warning:
        messages.warning(request, warning)
    url = reverse("practices:charter", kwargs={"slug": membership.team.slug})
    return redirect(f"{url}#{spec.key}")


def _conflict_context(section, editor) -> dict:
    """What the second editor needs to reconcile: their change beside the stored one."""
    spec = section_spec(section.key)
    started_from = editor.expected_version
    theirs = list(selectors.charter_revisions_since(section=section, version=started_from))
    stored_text = spec.text(section.data)
    yours_text = spec.text(editor.to_data())
    base = selectors.charter_revision_at(section=section, number=started_from)
    base_text = base.text if base else spec.text({})
    editor.bump_version(section.version)
    return {
        "revisions": theirs,
        "their_change": diff_hunks(text_diff(base_text, stored_text), context=1),
        "yours_vs_stored": side_by_side(stored_text, yours_text),
    }


@require_GET
def charter_history(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    key = request.GET.get("section") or None
    if key and key not in {spec.key for spec in SECTIONS}:
        key = None
    paginator = Paginator(selectors.charter_revision_list(team=team, key=key), HISTORY_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    titles = {spec.key: spec.title for spec in SECTIONS}
    revisions = [
        (
            revision,
            titles.get(revision.section_key, revision.section_key),
            diff_hunks(revision.diff),
        )
        for revision in page
    ]
    return render(
        request,
        "practices/history.html",
        {
            "team": team,
            "membership": membership,
            "page": page,
            "revisions": revisions,
            "sections": SECTIONS,
            "selected_key": key,
            "nav": "history",
        },
    )


@require_GET
def charter_compare(request: HttpRequest, slug: str) -> HttpResponse:
    """Any two revisions of a section side by side (``?a=<id>&b=<id>``)."""
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    ids = [request.GET.get("a", ""), request.GET.get("b", "")]
    if not all(value.isdigit() for value in ids):
        messages.error(request, "Pick two revisions to compare.")
        return redirect("practices:charter_history", slug=slug)
    older, newer = sorted(
        (selectors.charter_revision_get(team=team, pk=int(value)) for value in ids),
        key=lambda revision: (revision.created_at, revision.pk),
    )
    same_section = older.section_key == newer.section_key
    rows = side_by_side(older.text, newer.text) if same_section else []
    return render(
        request,
        "practices/compare.html",
        {
            "team": team,
            "membership": membership,
            "older": older,
            "newer": newer,
            "rows": rows,
            "same_section": same_section,
            "title": section_spec(newer.section_key).title,
            "nav": "history",
        },
    )


@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    form = MemberAddForm()
    if request.method == "POST":
        _require_lead(membership)
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                added = services.membership_add(
                    team=team, invited_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _apply_errors(form, error)
            else:
                messages.success(
                    request, f"{person_name(added.user)} added; we emailed them a link."
                )
                return redirect("practices:members", slug=slug)
    memberships = list(selectors.membership_list_for_team(team=team))
    open_roles = selectors.member_open_roles(team=team, memberships=memberships)
    return render(
        request,
        "practices/members.html",
        {
            "team": team,
            "membership": membership,
            "form": form,
            "nav": "members",
            "roles": Role.choices,
            "rows": [(m, open_roles.get(m.user_id)) for m in memberships],
            "people_gone": [p for p in open_roles.values() if p.membership is None],
            "hand_over_choices": selectors.hand_over_choices(memberships=memberships),
        },
    )


@require_POST
def member_update(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    _require_lead(membership)
    target = get_object_or_404(
        Membership.objects.select_related("user"), team=membership.team, pk=pk
    )
    form = MemberUpdateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Pick a role from the list.")
    else:
        try:
            services.membership_update(membership=target, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, f"{person_name(target.user)} is now {target.get_role_display().lower()}."
            )
            if target.role == Role.OBSERVER:
                _warn_left_behind(request, team=membership.team, user_id=target.user_id)
            _warn_review_policy(request, team=membership.team)
    return redirect("practices:members", slug=slug)


def _warn_review_policy(request: HttpRequest, *, team) -> None:
    """A role change can leave the charter's review policy unmeetable (the second senior
    made observer): say so where it happened, not when a page gets stuck."""
    warning = review_policy_warning(team=team)
    if warning:
        messages.warning(request, f"The charter's code review policy: {warning}")


def _warn_left_behind(request: HttpRequest, *, team, user_id: int) -> None:
    """Says what the person still holds and can no longer act on, right after the change."""
    held = [r for r in registries.open_role_list(team=team) if r.user_id == user_id]
    if held:
        what = ", ".join(f"{r.what} {r.code}" for r in held)
        messages.warning(
            request,
            f"They still hold open roles ({what}) that they can no longer act on: "
            "hand them over below.",
        )


@require_POST
def member_remove(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    _require_lead(membership)
    target = get_object_or_404(
        Membership.objects.select_related("user"), team=membership.team, pk=pk
    )
    try:
        services.membership_remove(membership=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("practices:members", slug=slug)
    if target.user_id == request.user.pk:
        messages.success(request, f"You left {membership.team.name}.")
        return redirect("home")
    messages.success(request, f"{person_name(target.user)} was removed from the team.")
    _warn_left_behind(request, team=membership.team, user_id=target.user_id)
    _warn_review_policy(request, team=membership.team)
    return redirect("practices:members", slug=slug)


@require_POST
def member_hand_over(request: HttpRequest, slug: str, user_id: int) -> HttpResponse:
    """A lead hands what ``user_id`` drives or approves to a member or lead of the team."""
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    _require_lead(membership)
    team = membership.team
    memberships = list(selectors.membership_list_for_team(team=team))
    choices = selectors.hand_over_choices(memberships=memberships)
    form = MemberHandOverForm(request.POST, choices=choices)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("practices:members", args=[slug]) + "#open-roles")
    to = form.cleaned_data["to"]
    try:
        moved = services.member_roles_hand_over(
            team=team, from_user_id=user_id, to_user_id=to, actor=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        name = dict(choices)[to]
        messages.success(request, f"Handed {moved} role{'s' if moved > 1 else ''} over to {name}.")
    return redirect(reverse("practices:members", args=[slug]) + "#open-roles")
