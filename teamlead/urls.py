from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, reverse_lazy
from django.views.decorators.http import require_http_methods

from practices import views as practices_views
from practices.forms import PasswordResetForm, SignInForm
from teamlead import views

# Django's form views also answer PUT as if it were POST; ours take GET and POST only.
get_or_post = require_http_methods(["GET", "POST"])

urlpatterns = [
    path("", practices_views.home, name="home"),
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
        get_or_post(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="registration/invitation_accept.html",
                success_url=reverse_lazy("password_reset_complete"),
            )
        ),
        name="invitation_accept",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("t/", include("practices.urls")),
    path("t/", include("proposals.urls")),
    path("admin/", admin.site.urls),
]
