"""Jira pages, included by the ``practices`` hub (so they reverse as ``practices:<name>``)."""

from django.urls import path

from practices.jira import views

urlpatterns = [
    path("<slug:slug>/tickets/", views.tickets, name="tickets"),
    path("<slug:slug>/jira/", views.jira_connection, name="jira_connection"),
    path("<slug:slug>/jira/test/", views.jira_connection_test, name="jira_connection_test"),
    path(
        "<slug:slug>/jira/review-statuses/",
        views.jira_review_statuses,
        name="jira_review_statuses",
    ),
    path("<slug:slug>/jira/sync/", views.jira_sync_now, name="jira_sync_now"),
    path("<slug:slug>/jira/disconnect/", views.jira_disconnect, name="jira_disconnect"),
]
