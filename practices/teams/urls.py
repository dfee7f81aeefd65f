"""A team's own pages: a new team, its settings and its members. Included by the
``practices`` hub (no ``app_name`` here), before the charter, so that ``new/`` is not read
as a team's slug."""

from django.urls import path

from practices.teams import views

urlpatterns = [
    path("new/", views.team_create, name="team_create"),
    path("<slug:slug>/settings/", views.team_settings, name="team_settings"),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/", views.member_update, name="member_update"),
    path("<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "<slug:slug>/members/hand-over/<int:user_id>/",
        views.member_hand_over,
        name="member_hand_over",
    ),
]
