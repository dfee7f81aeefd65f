"""The notifications pages and the one-click unsubscribe. Thin: access, form, service."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from practices.models import ReminderDelivery
from practices.reminders import preferences, selectors, services
from practices.reminders.forms import PreferencesForm, TeamReminderSettingsForm
from practices.teams import selectors as team_selectors
from practices.teams.forms import COMMON_TIME_ZONES
from practices.web import lead_required


@require_http_methods(["GET", "POST"])
def notifications(request: HttpRequest) -> HttpResponse:
    """What the person will get and when; their choices per kind of reminder."""
    user = request.user
    deliveries = {
        kind: delivery
        for (_, kind), delivery in preferences.delivery_map(user_ids=[user.pk]).items()
    }
    profile = preferences.profile_map(user_ids=[user.pk])[user.pk]
    form = PreferencesForm(
        request.POST or None,
        deliveries=deliveries,
        initial={"time_zone": profile.time_zone, "digest_hour": profile.digest_hour},
    )
    if request.method == "POST" and form.is_valid():
        preferences.reminder_choices_save(
            user=user,
            deliveries=form.deliveries(),
            time_zone=form.cleaned_data["time_zone"],
            digest_hour=form.cleaned_data["digest_hour"],
        )
        messages.success(request, "Your notification choices are saved.")
        return redirect("notifications")
    memberships = list(team_selectors.membership_list_for_user(user=user))
    return render(
        request,
        "practices/notifications.html",
        {
            "form": form,
            "memberships": memberships,
            "upcoming": selectors.reminder_upcoming_list(
                teams=[m.team for m in memberships], user_id=user.pk
            ),
            "recent": selectors.reminder_recent_list(user=user),
            "time_zones": COMMON_TIME_ZONES,
            "nav": "notifications",
        },
    )


@require_http_methods(["GET", "POST"])
def team_reminders(request: HttpRequest, slug: str) -> HttpResponse:
    """For leads: the team's upcoming reminders, the last ones sent, and its settings."""
    membership = team_selectors.membership_get_for_user(slug=slug, user=request.user)
    lead_required(membership, why="Only the team's leads see its reminders.")
    team = membership.team
    form = TeamReminderSettingsForm(
        request.POST or None, instance=selectors.reminder_team_settings_get(team=team)
    )
    if request.method == "POST" and form.is_valid():
        services.reminder_team_settings_update(
            team=team, retro_days_before=form.cleaned_data["retro_days_before"]
        )
        messages.success(request, "Reminder settings saved.")
        return redirect("practices:team_reminders", slug=team.slug)
    return render(
        request,
        "practices/team_reminders.html",
        {
            "team": team,
            "membership": membership,
            "form": form,
            "upcoming": selectors.reminder_upcoming_list(teams=[team]),
            "recent": selectors.reminder_recent_list(team=team),
            "nav": "reminders",
        },
    )


# The token in the address is the authority (no sign-in); RFC 8058 one-click POSTs come
# from mail providers without a CSRF token, so this view alone is exempt.
@require_http_methods(["GET", "POST"])
@login_not_required
@csrf_exempt
def reminder_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET: a page with a confirm button; POST (the button, or one-click): turn it off."""
    try:
        user_id, kind = preferences.unsubscribe_token_read(token=token)
    except signing.BadSignature:
        user = None
    else:
        user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        return render(request, "practices/unsubscribe.html", {"invalid": True}, status=400)
    context = {"what": preferences.kind_label(kind), "email": user.email}
    if request.method == "POST":
        preferences.reminder_preference_set(user=user, kind=kind, delivery=ReminderDelivery.OFF)
        return render(request, "practices/unsubscribe.html", {**context, "done": True})
    return render(request, "practices/unsubscribe.html", context)
