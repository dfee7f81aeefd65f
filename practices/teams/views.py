"""Pages for teams, their members and a person's own account: the home page, the team
switcher, a new team, its settings, its members, the profile and accepting an invitation.
Thin: access, form, service, render."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from practices import registries
from practices.charter.review_policy import review_policy_warning
from practices.models import Membership, ReminderProfile, Role

# ``selectors`` as a module: tests/test_logging.py replaces one of its functions.
from practices.teams import selectors, services
from practices.teams.forms import (
    COMMON_TIME_ZONES,
    InvitationAcceptForm,
    MemberAddForm,
    MemberHandOverForm,
    MemberUpdateForm,
    PasswordForm,
    ProfileForm,
    TeamForm,
    TeamSettingsForm,
)
from practices.web import form_errors_apply, lead_required, person_name


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    memberships = selectors.membership_list_for_user(user=request.user)
    return render(request, "teams/home.html", {"memberships": memberships})


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
            form_errors_apply(form, error)
        else:
            messages.success(request, f"{team.name} is ready. Start with its charter.")
            return redirect(team)
    return render(request, "teams/team_form.html", {"form": form, "time_zones": COMMON_TIME_ZONES})


@require_http_methods(["GET", "POST"])
def team_settings(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    lead_required(membership)
    team = membership.team
    form = TeamSettingsForm(request.POST or None, instance=team)
    if request.method == "POST" and form.is_valid():
        services.team_update(team=team, **form.cleaned_data)
        messages.success(request, "Team settings saved.")
        return redirect("practices:team_settings", slug=team.slug)
    return render(
        request,
        "teams/team_settings.html",
        {
            "team": team,
            "membership": membership,
            "form": form,
            "time_zones": COMMON_TIME_ZONES,
            "nav": "settings",
        },
    )


@require_http_methods(["GET", "POST"])
def members(request: HttpRequest, slug: str) -> HttpResponse:
    membership = selectors.membership_get_for_user(slug=slug, user=request.user)
    team = membership.team
    form = MemberAddForm()
    if request.method == "POST":
        lead_required(membership)
        form = MemberAddForm(request.POST)
        if form.is_valid():
            try:
                added = services.membership_add(
                    team=team, invited_by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form_errors_apply(form, error)
            else:
                messages.success(
                    request, f"{person_name(added.user)} added; we emailed them a link."
                )
                return redirect("practices:members", slug=slug)
    memberships = list(selectors.membership_list_for_team(team=team))
    open_roles = selectors.member_open_roles(team=team, memberships=memberships)
    return render(
        request,
        "teams/members.html",
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
    lead_required(membership)
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
            if not target.takes_part:
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
    lead_required(membership)
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
    lead_required(membership)
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


def _profile_initial(user) -> dict:
    profile = ReminderProfile.objects.filter(user=user).only("time_zone").first()
    name = person_name(user)
    return {
        "name": "" if name == user.email else name,
        "email": user.email,
        "time_zone": profile.time_zone if profile else "",
    }


@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    """Name, email and time zone in one form; the password in another (``action``)."""
    user, action = request.user, request.POST.get("action")
    form = ProfileForm(
        request.POST if action == "profile" else None, initial=_profile_initial(user)
    )
    password_form = PasswordForm(user, request.POST if action == "password" else None)
    if action == "profile" and form.is_valid():
        try:
            pending = services.user_profile_update(user=user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, "Profile saved.")
            if pending:
                messages.info(
                    request,
                    f"We emailed a link to {pending}: your email changes once you open it. "
                    f"Until then you sign in with {user.email}.",
                )
            return redirect("profile")
    if action == "password" and password_form.is_valid():
        password_form.save()
        # A new password ends every other session; this one stays signed in.
        update_session_auth_hash(request, password_form.user)
        messages.success(request, "Password changed.")
        return redirect("profile")
    context = {
        "form": form,
        "password_form": password_form,
        "time_zones": COMMON_TIME_ZONES,
        "nav": "profile",
    }
    return render(request, "registration/profile.html", context)


class InvitationAcceptView(auth_views.PasswordResetConfirmView):
    """Django's set-password-from-a-link, plus the name, then signed in and in the team."""

    form_class = InvitationAcceptForm
    template_name = "registration/invitation_accept.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"

    def get_success_url(self) -> str:
        # The team of the newest invitation: the one whose email brought them here.
        membership = (
            Membership.objects.filter(user=self.user)
            .select_related("team")
            .order_by("-created_at", "-pk")
            .first()
        )
        return membership.team.get_absolute_url() if membership else reverse("home")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, f"Welcome, {person_name(self.user)}.")
        return response


@require_http_methods(["GET"])
def email_change_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """The link mailed to a new address: opened signed in as its account, it applies."""
    try:
        email = services.user_email_change_confirm(user=request.user, token=token)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, f"Your email is now {email}; sign in with it from now on.")
    return redirect("profile")
