from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.decorators.http import require_http_methods

from practices.reminders import views as reminder_views
from practices.retros import views as retro_views
from practices.teams import views as team_views
from practices.teams.forms import PasswordResetForm, SignInForm
from teamlead import views

# Django's form views also answer PUT as if it were POST; ours take GET and POST only.
get_or_post = require_http_methods(["GET", "POST"])

urlpatterns = [
    path("", team_views.home, name="home"),
    path("teams/menu/", team_views.team_menu, name="team_menu"),
    path("healthz", views.healthz, name="healthz"),
    path(
        "accounts/login/",
        get_or_post(
            auth_views.LoginView.as_view(form_class=SignInForm, redirect_authenticated_user=True)
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password-reset/",
        get_or_post(auth_views.PasswordResetView.as_view(form_class=PasswordResetForm)),
        name="password_reset",
    ),
    path(
        "accounts/password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        get_or_post(auth_views.PasswordResetConfirmView.as_view()),
        name="password_reset_confirm",
    ),
    path(
        "accounts/invitation/<uidb64>/<token>/",
        get_or_post(team_views.InvitationAcceptView.as_view()),
        name="invitation_accept",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("accounts/profile/", team_views.profile, name="profile"),
    path(
        "accounts/email/<str:token>/",
        team_views.email_change_confirm,
        name="email_change_confirm",
    ),
    path("notifications/", reminder_views.notifications, name="notifications"),
    path(
        "notifications/unsubscribe/<str:token>/",
        reminder_views.reminder_unsubscribe,
        name="reminder_unsubscribe",
    ),
    path("t/", include("practices.urls")),
    path("calendar/<str:token>.ics", retro_views.team_calendar_feed, name="team_calendar_feed"),
    path("t/", include("proposals.urls")),
    path("admin/", admin.site.urls),
]

# 503 while the database is unreachable, else a styled 500; neither needs the database.
handler500 = "teamlead.errors.server_error"
