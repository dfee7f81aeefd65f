"""A person's profile page, and accepting an invitation (which signs them in)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from practices.accounts.forms import InvitationAcceptForm, PasswordForm, ProfileForm
from practices.accounts.services import user_profile_update
from practices.forms import COMMON_TIME_ZONES
from practices.models import Membership, ReminderProfile
from practices.web import form_errors_apply, person_name


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
            user_profile_update(user=user, **form.cleaned_data)
        except ValidationError as error:
            form_errors_apply(form, error)
        else:
            messages.success(request, "Profile saved.")
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
