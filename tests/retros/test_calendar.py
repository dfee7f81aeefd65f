import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from practices.models import CharterSection, TeamCalendar
from practices.retros import services
from tests.proposals.factories import make_proposal


@pytest.fixture
def feed_url(people, retro):
    calendar = services.team_calendar_rotate(team=people.team)
    return reverse("team_calendar_feed", args=[calendar.token])


def test_feed_is_a_calendar_of_retros_proposal_due_dates_and_milestones(people, retro, feed_url):
    make_proposal(people.team, people.member, open_it=True, title="Adopt Kafka")
    section = CharterSection.objects.get(team=people.team, key="milestones")
    section.data = {"rows": [{"name": "Card vault", "target_date": "2026-04-01",
                              "deliverable": "PCI audit passed", "done": False}]}  # fmt: skip
    section.save()
    services.retro_skip(retro=retro, skipped=True)

    response = Client().get(feed_url)  # calendar apps do not sign in
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar.name == "VCALENDAR"
    events = {str(e["uid"]): e for e in calendar.walk("VEVENT")}
    retro_event = events[f"retro-{retro.pk}@teamlead"]
    assert retro_event.decoded("dtstart") == retro.starts_at
    assert str(retro_event["status"]) == "CANCELLED"
    assert sum(uid.startswith("retro-") for uid in events) == 4
    summaries = {str(e["summary"]) for e in events.values()}
    assert "[PAY] DACI-1 due: Adopt Kafka" in summaries
    assert "[PAY] Milestone: Card vault" in summaries


def test_rotating_the_address_makes_the_old_one_404(client_for, people, feed_url):
    response = client_for(people.lead).post(reverse("practices:team_calendar_rotate", args=["pay"]))
    assert response.status_code == 302
    assert Client().get(feed_url).status_code == 404
    token = TeamCalendar.objects.get(team=people.team).token
    assert Client().get(reverse("team_calendar_feed", args=[token])).status_code == 200


def test_only_a_lead_rotates_the_address(client_for, people, feed_url):
    for user in (people.member, people.observer):
        url = reverse("practices:team_calendar_rotate", args=["pay"])
        assert client_for(user).post(url).status_code == 403
    assert Client().get(feed_url).status_code == 200


def test_unknown_address_is_404(db):
    assert Client().get(reverse("team_calendar_feed", args=["nope"])).status_code == 404


def test_retro_list_shows_the_address_to_members(client_for, people, feed_url):
    page = client_for(people.member).get(reverse("practices:retros", args=["pay"]))
    assert feed_url in page.content.decode()
