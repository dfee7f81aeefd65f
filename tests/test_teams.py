import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practices.models import CharterSection, Membership, Role, Team
from tests.factories import UserFactory, add_member, make_team


@pytest.mark.django_db
def test_home_without_teams_says_what_to_do(client):
    client.force_login(UserFactory())
    response = client.get(reverse("home"))
    assert "You are not in a team yet" in response.text
    assert reverse("practices:team_create") in response.text


@pytest.mark.django_db
def test_any_user_creates_a_team_and_becomes_its_lead(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("practices:team_create"),
        {"name": "Search", "slug": "Search", "time_zone": "America/New_York"},
    )
    team = Team.objects.get(slug="search")
    assert response["Location"] == team.get_absolute_url()
    assert Membership.objects.get(team=team, user=user).role == Role.LEAD
    assert CharterSection.objects.filter(team=team).count() == 12
    retros = CharterSection.objects.get(team=team, key="retros")
    assert retros.data["time_zone"] == "America/New_York"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"name": "X", "slug": "pay", "time_zone": "UTC"}, "That short name is taken"),
        ({"name": "X", "slug": "no spaces!", "time_zone": "UTC"}, "Enter a valid"),
        ({"name": "X", "slug": "ok", "time_zone": "Nowhere/City"}, "is not a time zone we know"),
        ({"name": "", "slug": "ok", "time_zone": "UTC"}, "This field is required"),
        ({"name": "x" * 81, "slug": "ok", "time_zone": "UTC"}, "at most 80 characters"),
    ],
)
def test_bad_team_input_is_refused_with_a_clear_message(client, post, message):
    make_team()
    client.force_login(UserFactory())
    response = client.post(reverse("practices:team_create"), post)
    assert response.status_code == 200
    assert message in response.text
    assert Team.objects.count() == 1


@pytest.mark.django_db
def test_a_user_in_several_teams_switches_from_the_navigation(client):
    user = UserFactory()
    make_team(lead=user)
    other = make_team(name="Search", slug="search")
    add_member(other, user)
    client.force_login(user)
    page = client.get(reverse("practices:charter", args=["pay"])).text
    menu_url = re.search(r'class="menu team-switcher" hx-get="([^"]+)"', page).group(1)
    assert 'href="/t/search/"' not in page, "the list comes when the menu opens"
    menu = client.get(html.unescape(menu_url), headers={"HX-Request": "true"}).text
    assert 'href="/t/search/"' in menu
    assert '<a href="/t/pay/" aria-current="page">' in menu
    # Without JavaScript the menu leads to the home page, which lists the teams.
    assert client.get(reverse("team_menu")).url == reverse("home")


@pytest.mark.django_db
def test_the_team_menu_lists_only_your_own_teams(client):
    user = UserFactory()
    make_team(lead=user)
    make_team(name="Secret", slug="secret")
    client.force_login(user)
    menu = client.get(reverse("team_menu"), {"current": "secret"}, headers={"HX-Request": "true"})
    assert "Payments" in menu.text
    assert "Secret" not in menu.text and "/t/secret/" not in menu.text


@pytest.mark.django_db
def test_home_query_count_does_not_grow_with_teams(client):
    user = UserFactory()
    client.force_login(user)
    make_team(lead=user)
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("home"))
    for i in range(10):
        make_team(lead=user, name=f"T{i}", slug=f"t{i}")
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("home"))
    assert len(one) == len(many)


def test_lead_edits_team_settings(people, client_for):
    client = client_for(people.lead)
    url = reverse("practices:team_settings", args=["pay"])
    response = client.post(url, {"name": "Payments & Billing", "time_zone": "Asia/Tokyo"})
    assert response.status_code == 302
    people.team.refresh_from_db()
    assert (people.team.name, people.team.time_zone) == ("Payments & Billing", "Asia/Tokyo")
    bad = client.post(url, {"name": "P", "time_zone": "Asia/Nowhere"})
    assert "is not a time zone we know" in bad.text
    people.team.refresh_from_db()
    assert people.team.time_zone == "Asia/Tokyo"
