"""The ``practices`` hub: every practice's pages under /t/, reversed as ``practices:<name>``.

The practices' own urls modules have no ``app_name``: they are included here, inside this
one namespace. Teams' patterns come first, so that ``new/`` is not read as a team slug.
"""

from django.urls import include, path

from practices import views

app_name = "practices"

urlpatterns = [
    path("new/", views.team_create, name="team_create"),
    path("<slug:slug>/", views.charter, name="charter"),
    path("<slug:slug>/settings/", views.team_settings, name="team_settings"),
    path("<slug:slug>/charter/history/", views.charter_history, name="charter_history"),
    path("<slug:slug>/charter/compare/", views.charter_compare, name="charter_compare"),
    path("<slug:slug>/charter/<slug:key>/", views.charter_section, name="charter_section"),
    path(
        "<slug:slug>/charter/<slug:key>/edit/",
        views.charter_section_edit,
        name="charter_section_edit",
    ),
    path("<slug:slug>/members/", views.members, name="members"),
    path("<slug:slug>/members/<int:pk>/", views.member_update, name="member_update"),
    path("<slug:slug>/members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path(
        "<slug:slug>/members/hand-over/<int:user_id>/",
        views.member_hand_over,
        name="member_hand_over",
    ),
    path("", include("practices.jira.urls")),
    path("", include("practices.retros.urls")),
    path("", include("practices.reminders.urls")),
]
