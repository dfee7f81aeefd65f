from django.urls import path

from practices import views
from practices.jira import views as jira_views
from practices.reminders import views as reminder_views
from practices.retros import views as retro_views

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
    path("<slug:slug>/reminders/", reminder_views.team_reminders, name="team_reminders"),
    path("<slug:slug>/tickets/", jira_views.tickets, name="tickets"),
    path("<slug:slug>/jira/", jira_views.jira_connection, name="jira_connection"),
    path("<slug:slug>/jira/test/", jira_views.jira_connection_test, name="jira_connection_test"),
    path(
        "<slug:slug>/jira/review-statuses/",
        jira_views.jira_review_statuses,
        name="jira_review_statuses",
    ),
    path("<slug:slug>/jira/sync/", jira_views.jira_sync_now, name="jira_sync_now"),
    path("<slug:slug>/jira/disconnect/", jira_views.jira_disconnect, name="jira_disconnect"),
    path("<slug:slug>/retros/", retro_views.retros, name="retros"),
    path(
        "<slug:slug>/retros/<int:pk>/updates/",
        retro_views.retro_board_updates,
        name="retro_board_updates",
    ),
    path("<slug:slug>/retros/<int:pk>/cards/", retro_views.retro_card_add, name="retro_card_add"),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/delete/",
        retro_views.retro_card_delete,
        name="retro_card_delete",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/vote/",
        retro_views.retro_card_vote,
        name="retro_card_vote",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/cards/<int:card_pk>/group/",
        retro_views.retro_card_group,
        name="retro_card_group",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/actions/",
        retro_views.retro_action_add,
        name="retro_action_add",
    ),
    path(
        "<slug:slug>/retros/<int:pk>/actions/<int:item_pk>/review/",
        retro_views.retro_action_review,
        name="retro_action_review",
    ),
    path("<slug:slug>/retros/<int:pk>/move/", retro_views.retro_move, name="retro_move"),
    path("<slug:slug>/retros/<int:pk>/skip/", retro_views.retro_skip, name="retro_skip"),
    path(
        "<slug:slug>/calendar/rotate/",
        retro_views.team_calendar_rotate,
        name="team_calendar_rotate",
    ),
]
