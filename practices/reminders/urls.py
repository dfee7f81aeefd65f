"""A team's reminders page, included by the ``practices`` hub (``practices:<name>``).

The person's own pages (notifications, unsubscribe) live at the root: teamlead/urls.py.
"""

from django.urls import path

from practices.reminders import views

urlpatterns = [
    path("<slug:slug>/reminders/", views.team_reminders, name="team_reminders"),
]
