"""Retro pages: the list and schedule, the board, every write on it, and the calendar feed.

Thin views. Writes here answer htmx with the board's regions as out-of-band swaps, and
plain form posts with a redirect to the board page.
"""

from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices import registries
from practices.charter.sections import section_spec
from practices.charter.selectors import charter_section_get
from practices.models import Membership, Retro
from practices.retros import selectors, services
from practices.retros.calendar import team_calendar_build
from practices.retros.forms import (
    ActionItemForm,
    CardForm,
    GroupForm,
    MoveForm,
    ReviewForm,
    SkipForm,
)
from practices.teams.selectors import membership_get_for_user
from practices.web import contributor_required, form_errors_apply, lead_required

ANONYMOUS_COOKIE = "retro_anonymous_cards"
ANONYMOUS_COOKIE_KEEP = 200  # card ids remembered per browser
ANONYMOUS_COOKIE_AGE = 180 * 24 * 3600


# What the 403 page tells an observer who tries to write on the board.
OBSERVERS_READ = "Observers read the board; members and leads add to it."


def _cookie_salt(request: HttpRequest) -> str:
    # Bound to the person: another account in the same browser cannot use the cookie.
    return f"retro-anonymous-{request.user.pk}"


def anonymous_card_ids(request: HttpRequest) -> frozenset[int]:
    """The anonymous cards this browser's signed-in person wrote (only their cookie knows)."""
    raw = request.get_signed_cookie(ANONYMOUS_COOKIE, default="", salt=_cookie_salt(request))
    return frozenset(int(part) for part in raw.split(",") if part.isdigit())


def _remember_anonymous_card(request: HttpRequest, response: HttpResponse, card_id: int) -> None:
    ids = [*sorted(anonymous_card_ids(request)), card_id][-ANONYMOUS_COOKIE_KEEP:]
    response.set_signed_cookie(
        ANONYMOUS_COOKIE,
        ",".join(map(str, ids)),
        salt=_cookie_salt(request),
        max_age=ANONYMOUS_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )


def board_context(request: HttpRequest, membership: Membership, retro: Retro, **extra) -> dict:
    """What the board page and its fragments need (the page adds its prompts)."""
    now = timezone.now()
    board = selectors.retro_board_get(
        retro=retro,
        user=request.user,
        membership=membership,
        anonymous_card_ids=anonymous_card_ids(request),
        now=now,
    )
    can_write = membership.takes_part

    def owners() -> list:
        return selectors.retro_owner_choices(team=retro.team) if can_write else []

    return {
        "team": retro.team,
        "membership": membership,
        "nav": "retros",
        "retro": retro,
        "board": board,
        "now": now,
        "board_open": retro.board_is_open(now),
        "can_write": can_write,
        "card_form": CardForm(),
        "action_form": ActionItemForm(owners=owners),
        **extra,
    }


def _board_updated(
    request: HttpRequest, membership: Membership, retro: Retro, *, message: str = "", **extra
) -> HttpResponse:
    """htmx: the board's regions, swapped out of band; otherwise back to the board page."""
    if not request.htmx:
        if message:
            messages.error(request, message)
        return redirect(retro.get_absolute_url())
    retro.refresh_from_db(fields=["board_version"])
    context = board_context(request, membership, retro, board_message=message, oob=True, **extra)
    return render(request, "practices/retro_board.html#updates", context)


@require_GET
def retros(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    calendar = selectors.team_calendar_get(team=team)
    cadence = charter_section_get(team=team, key="retros")
    context = {
        "team": team,
        "membership": membership,
        "nav": "retros",
        "cadence_summary": section_spec("retros").summary(cadence.data),
        "cadence_agreed": services.retro_cadence_agreed(section=cadence),
        "upcoming": selectors.retro_list_upcoming(team=team),
        "past": selectors.retro_list_past(team=team),
        "calendar_url": (
            request.build_absolute_uri(reverse("team_calendar_feed", args=[calendar.token]))
            if calendar
            else ""
        ),
        "now": timezone.now(),
    }
    return render(request, "practices/retro_list.html", context)


@require_GET
def retro_board(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    previous = selectors.retro_previous(retro=retro)
    prompts = registries.retro_prompt_list(retro=retro, previous=previous)
    context = board_context(request, membership, retro, prompts=prompts)
    return render(request, "practices/retro_board.html", context)


@vary_on_headers("HX-Request")
@require_GET
def retro_board_updates(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    """What a polling board asks every few seconds: 204 when nothing changed since ``v``."""
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    if request.GET.get("v") == str(retro.board_version):
        return HttpResponse(status=204)
    if not request.htmx:
        return redirect(retro.get_absolute_url())
    context = board_context(request, membership, retro, oob=True)
    return render(request, "practices/retro_board.html#updates", context)


@require_POST
def retro_card_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)
    form = CardForm(request.POST)
    if form.is_valid():
        try:
            card = services.retro_card_add(retro=retro, author=request.user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            # A fresh form that stays in the column (and anonymity) just used.
            fresh = CardForm(initial={"column": card.column, "anonymous": card.anonymous})
            response = _board_updated(
                request, membership, retro, card_form=fresh, swap_card_form=True
            )
            if card.anonymous:
                _remember_anonymous_card(request, response, card.pk)
            return response
    return _form_refused(request, membership, retro, "card_form", form)


def _form_refused(request, membership, retro, name: str, form) -> HttpResponse:
    """The form again with its errors: in place for htmx, else on the whole page."""
    context = board_context(request, membership, retro, oob=True, **{name: form})
    if request.htmx:
        return render(request, f"practices/retro_board.html#{name}", context)
    return render(request, "practices/retro_board.html", {**context, "oob": False})


@require_POST
def retro_card_delete(request: HttpRequest, slug: str, pk: int, card_pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)
    card = selectors.retro_card_get(retro=retro, pk=card_pk)
    try:
        services.retro_card_delete(
            card=card,
            user=request.user,
            is_lead=membership.is_lead,
            anonymous_card_ids=anonymous_card_ids(request),
        )
    except ValidationError as error:
        return _board_updated(request, membership, retro, message=" ".join(error.messages))
    return _board_updated(request, membership, retro)


@require_POST
def retro_card_vote(request: HttpRequest, slug: str, pk: int, card_pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)
    card = selectors.retro_card_get(retro=retro, pk=card_pk)
    try:
        services.retro_card_vote_toggle(card=card, voter=request.user)
    except ValidationError as error:
        return _board_updated(request, membership, retro, message=" ".join(error.messages))
    return _board_updated(request, membership, retro)


@require_POST
def retro_card_group(request: HttpRequest, slug: str, pk: int, card_pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)
    card = selectors.retro_card_get(retro=retro, pk=card_pk)
    form = GroupForm(request.POST, retro=retro, column=card.column)
    if not form.is_valid():
        return _board_updated(request, membership, retro, message="Choose one of the groups.")
    try:
        services.retro_card_group(card=card, **form.cleaned_data)
    except ValidationError as error:
        return _board_updated(request, membership, retro, message=" ".join(error.messages))
    return _board_updated(request, membership, retro)


@require_POST
def retro_action_add(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)

    @cache  # read once for the posted form and the fresh one that replaces it
    def owners() -> list:
        return selectors.retro_owner_choices(team=retro.team)

    form = ActionItemForm(request.POST, owners=owners)
    if form.is_valid():
        try:
            services.retro_action_item_add(
                retro=retro, created_by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            fresh = ActionItemForm(owners=owners)
            return _board_updated(
                request, membership, retro, action_form=fresh, swap_action_form=True
            )
    return _form_refused(request, membership, retro, "action_form", form)


@require_POST
def retro_action_review(request: HttpRequest, slug: str, pk: int, item_pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    contributor_required(membership, why=OBSERVERS_READ)
    item = selectors.retro_action_item_get(team=retro.team, pk=item_pk)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _board_updated(request, membership, retro, message="Choose done, carry or drop.")
    try:
        services.retro_action_item_review(
            item=item, retro=retro, outcome=form.cleaned_data["outcome"]
        )
    except ValidationError as error:
        return _board_updated(request, membership, retro, message=" ".join(error.messages))
    return _board_updated(request, membership, retro)


@require_http_methods(["GET", "POST"])
def retro_move(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    lead_required(membership)
    initial = {"starts_at": retro.local_starts_at.replace(tzinfo=None)}
    form = MoveForm(request.POST or None, initial=initial, time_zone=retro.time_zone)
    if request.method == "POST" and form.is_valid():
        try:
            services.retro_move(retro=retro, starts_at=form.cleaned_data["starts_at"])
        except ValidationError as error:
            form.add_error("starts_at" if hasattr(error, "error_dict") else None, error.messages)
        else:
            messages.success(request, "Retro moved. The other retros stay where they were.")
            return redirect("practices:retros", slug=slug)
    context = {"team": retro.team, "membership": membership, "nav": "retros", "retro": retro}
    return render(request, "practices/retro_move.html", {**context, "form": form})


@require_POST
def retro_skip(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    membership, retro = selectors.retro_get_for_user(slug=slug, pk=pk, user=request.user)
    lead_required(membership)
    form = SkipForm(request.POST)
    form.is_valid()
    skipped = form.cleaned_data.get("skipped", False)
    try:
        services.retro_skip(retro=retro, skipped=skipped)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, "Retro skipped." if skipped else "Retro back on.")
    return redirect("practices:retros", slug=slug)


@require_POST
def team_calendar_rotate(request: HttpRequest, slug: str) -> HttpResponse:
    membership = membership_get_for_user(slug=slug, user=request.user)
    lead_required(membership)
    services.team_calendar_rotate(team=membership.team)
    messages.success(
        request, "The calendar has a new address. The old one no longer works: share the new one."
    )
    return redirect("practices:retros", slug=slug)


# Served at a secret address without signing in (calendar apps cannot sign in); a lead
# rotates the address to cut off everyone who had the old one.
@login_not_required
@require_GET
def team_calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    team = selectors.team_calendar_get_by_token(token=token).team
    calendar = team_calendar_build(team=team, request=request)
    response = HttpResponse(calendar.to_ical(), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'inline; filename="{team.slug}.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
