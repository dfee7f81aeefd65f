"""The Notifications page (everyone) and a team's reminders page (leads)."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from practices.models import (
    Reminder,
    ReminderPreference,
    ReminderProfile,
    ReminderState,
    ReminderTeamSettings,
)
from tests.factories import UserFactory, add_member, make_team
from tests.reminders.helpers import make_retro, run_planner

UTC = dt.UTC


def test_a_person_sees_what_they_will_get_and_when_in_their_time_zone(people, client_for, clock):
    ReminderProfile.objects.create(user=people.member, time_zone="America/New_York")
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 12, 14, 0, tzinfo=UTC))
    response = client_for(people.member).get(reverse("notifications"))
    assert response.status_code == 200
    upcoming = response.context["upcoming"]
    assert len(upcoming) == 1
    # Three days before, 15:00 in Berlin: 10:00 in New York (after its DST change on 8 March).
    assert upcoming[0].at.isoformat() == "2026-03-09T10:00:00-04:00"
    assert b"Retro reminders: Retro on Thu 12 Mar 15:00" in response.content
    # And the page shows that time as such, not converted back to UTC.
    assert 'Mon 9 Mar, 10:00 <span class="muted">EDT</span>' in response.text


def test_saving_choices_stores_each_kind_and_the_time_zone(people, client_for):
    response = client_for(people.member).post(
        reverse("notifications"),
        {
            "time_zone": "Asia/Tokyo",
            "digest_hour": "7",
            "kind_retro": "digest",
            "kind_stuck_review": "now",
            "kind_votes_due": "off",
            "kind_reviews_waiting": "now",
        },
    )
    assert response.status_code == 302
    assert dict(
        ReminderPreference.objects.filter(user=people.member).values_list("kind", "delivery")
    ) == {"retro": "digest", "stuck_review": "now", "votes_due": "off", "reviews_waiting": "now"}
    assert ReminderProfile.objects.get(user=people.member).time_zone == "Asia/Tokyo"


def test_a_bad_time_zone_is_refused_next_to_the_field(people, client_for):
    response = client_for(people.member).post(
        reverse("notifications"),
        {"time_zone": "Mars/Olympus", "digest_hour": "7", "kind_retro": "now"},
    )
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    assert not ReminderPreference.objects.exists()


def test_a_lead_sees_the_teams_upcoming_reminders_and_the_last_sent(people, client_for, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 4, 14, 0, tzinfo=UTC))
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 11, 14, 0, tzinfo=UTC))
    run_planner()
    response = client_for(people.lead).get(reverse("practices:team_reminders", args=["pay"]))
    assert response.status_code == 200
    assert len(response.context["recent"]) == 3
    assert {r.state for r in response.context["recent"]} == {ReminderState.SENT}
    assert len(response.context["upcoming"]) == 3  # the second retro, to each member
    # In the team's time zone (Berlin): three days before 15:00 CET.
    assert 'Sun 8 Mar, 15:00 <span class="muted">CET</span>' in response.text
    assert "CET" in response.text.split("Last sent", 1)[1]


def test_a_lead_sets_the_days_before_the_retro(people, client_for):
    response = client_for(people.lead).post(
        reverse("practices:team_reminders", args=["pay"]), {"retro_days_before": "5"}
    )
    assert response.status_code == 302
    assert ReminderTeamSettings.objects.get(team=people.team).retro_days_before == 5


def test_members_are_refused_the_teams_reminders_and_outsiders_do_not_see_the_team(
    people, client_for
):
    url = reverse("practices:team_reminders", args=["pay"])
    assert client_for(people.member).get(url).status_code == 403
    assert client_for(people.outsider).get(url).status_code == 404


def test_the_pages_queries_do_not_grow_with_teams_retros_and_reminders(db, client_for, clock):
    lead = UserFactory()

    def more(count, offset):
        for i in range(count):
            team = make_team(name=f"T{offset + i}", slug=f"t{offset + i}", lead=lead)
            for _ in range(3):
                add_member(team, UserFactory())
            make_retro(team, starts_at=dt.datetime(2026, 3, 4, 14, 0, tzinfo=UTC))
            make_retro(team, starts_at=dt.datetime(2026, 3, 11, 14, 0, tzinfo=UTC))
        run_planner()

    def counts():
        client = client_for(lead)
        found = []
        for url in (reverse("notifications"), reverse("practices:team_reminders", args=["t0"])):
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    more(1, 0)
    few = counts()
    more(5, 1)
    assert Reminder.objects.count() == 24
    assert counts() == few
