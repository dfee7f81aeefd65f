"""The ``practices`` hub: every practice's pages under /t/, reversed as ``practices:<name>``.

The practices' own urls modules have no ``app_name``: they are included here, inside this
one namespace. Teams' patterns come first, so that ``new/`` is not read as a team slug.
"""

from django.urls import include, path

app_name = "practices"

urlpatterns = [
    path("", include("practices.teams.urls")),
    path("", include("practices.charter.urls")),
    path("", include("practices.jira.urls")),
    path("", include("practices.retros.urls")),
    path("", include("practices.reminders.urls")),
]
