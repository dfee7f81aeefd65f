"""Retro pages, included by the ``practices`` hub (so they reverse as ``practices:<name>``)."""

from django.urls import path

from practices.retros import views

urlpatterns = [
    path("<slug:slug>/retros/", views.retros, name="retros"),
    path("<slug:slug>/retros/<int:pk>/", views.retro_board, name="retro_board"),
    path(
        "<slug:slug>/retros/<int:pk>/updates/",
        views.retro_board_updates,
        name="retro_board_updates",
    ),
    path("<slug:slug>/retros/<int:pk>/cards/", views.retro_card_add, name="retro_card_add"),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/delete/",
        views.retro_card_delete,
        name="retro_card_delete",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/vote/",
        views.retro_card_vote,
        name="retro_card_vote",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/group/",
        views.retro_card_group,
        name="retro_card_group",
    ),
    path("<slug:slug>/retros/<int:pk>/actions/", views.retro_action_add, name="retro_action_add"),
    path(
        "<slug:slug>/retros/<int:pk>/actions/<int:item_pk>/review/",
        views.retro_action_review,
        name="retro_action_review",
    ),
    path("<slug:slug>/retros/<int:pk>/move/", views.retro_move, name="retro_move"),
    path("<slug:slug>/retros/<int:pk>/skip/", views.retro_skip, name="retro_skip"),
    path("<slug:slug>/calendar/rotate/", views.team_calendar_rotate, name="team_calendar_rotate"),
]
