"""A team's charter: the team's front page, a section, its editor, the history and
comparing two revisions. Included by the ``practices`` hub (no ``app_name`` here)."""

from django.urls import path

from practices.charter import views

urlpatterns = [
    path("<slug:slug>/", views.charter, name="charter"),
    path("<slug:slug>/charter/history/", views.charter_history, name="charter_history"),
    path("<slug:slug>/charter/compare/", views.charter_compare, name="charter_compare"),
    path("<slug:slug>/charter/<slug:key>/", views.charter_section, name="charter_section"),
    path(
        "<slug:slug>/charter/<slug:key>/edit/",
        views.charter_section_edit,
        name="charter_section_edit",
    ),
]
