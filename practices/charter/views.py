"""Pages for a team's charter: the sections, editing one, its history, comparing two
revisions. Thin: access, form, service, render."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from practices.charter import selectors, services
from practices.charter.review_policy import review_policy_warning
from practices.charter.sections import SECTIONS, section_spec
from practices.revisions import diff_hunks, side_by_side, text_diff
from practices.teams.forms import COMMON_TIME_ZONES
from practices.teams.selectors import membership_get_for_user
from practices.web import lead_required

HISTORY_PAGE_SIZE = 25


@require_GET
def charter(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    sections = [
        (section_spec(section.key), section)
        for section in selectors.charter_section_list(team=team)
    ]
    return render(
        request,
        "charter/charter.html",
        {"team": team, "membership": membership, "sections": sections, "nav": "charter"},
    )


@require_GET
def charter_section(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    """One section as shown on the charter; htmx swaps it back in after Cancel."""
    membership = membership_get_for_user(slug=slug, user=request.user)
    section = selectors.charter_section_get(team=membership.team, key=key)
    if not request.htmx:
        return redirect(reverse("practices:charter", kwargs={"slug": slug}) + f"#{key}")
    context = {
        "team": membership.team,
        "membership": membership,
        "spec": section_spec(key),
        "section": section,
    }
    return render(request, "charter/charter.html#section", context)


@vary_on_headers("HX-Request")
@require_http_methods(["GET", "POST"])
def charter_section_edit(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    lead_required(membership)
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
        "charter/charter.html#section_form" if request.htmx else "practices/section_edit.html"
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
        return render(request, "charter/charter.html#section", context)
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
    membership = membership_get_for_user(slug=slug, user=request.user)
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
            revision.pk,
        )
        for revision in page
    ]
    return render(
        request,
        "charter/history.html",
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
    membership = membership_get_for_user(slug=slug, user=request.user)
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
        "charter/compare.html",
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
