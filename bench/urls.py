"""The app's URLs plus ``/bench/floor/``: the cheapest page the stack can serve.

The floor goes through the same middleware, the same template engine and the same
database settings as a real page, and its view makes one query. Requested with the
signed-in browser's cookies like the pages, it also pays what every signed-in request
pays here: it asks who the user is, so the session and the user are loaded (2 more
queries), as the sign-in check does before every page that needs it.
A page's latency divided by the floor's is what the page itself costs.
"""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import include, path
from django.views.decorators.http import require_GET

from practices.models import Team


@login_not_required
@require_GET
def floor(request: HttpRequest) -> HttpResponse:
    # Loads the session and the user, as the sign-in check does before every other page.
    signed_in = request.user.is_authenticated
    team_name = Team.objects.order_by("pk").values_list("name", flat=True).first()
    # No request context: the floor should not run the app's context processors.
    context = {"team_name": team_name, "signed_in": signed_in}
    return HttpResponse(render_to_string("floor.html", context))


urlpatterns = [
    path("bench/floor/", floor, name="bench_floor"),
    path("", include("teamlead.urls")),
]
