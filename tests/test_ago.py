"""``{{ moment|ago }}``: "just now" for the last minute, not "0 minutes ago"."""

import datetime as dt

import pytest
from django.template import engines
from django.urls import reverse

from practices.charter import services
from practices.models import CharterSection
from practices.templatetags.moments import ago

NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(0, "just now"), (59, "just now"), (60, "1\xa0minute ago"), (3 * 3600 + 5, "3\xa0hours ago")],
)
def test_ago_says_just_now_for_the_last_minute(seconds, shown):
    assert ago(NOW - dt.timedelta(seconds=seconds), NOW) == shown


def test_ago_of_nothing_is_empty():
    assert engines["django"].from_string("[{{ x|ago }}]").render({"x": None}) == "[]"


@pytest.mark.django_db
def test_a_charter_conflict_says_just_now_for_a_save_a_moment_ago(people, client_for):
    section = CharterSection.objects.get(team=people.team, key="stack")
    services.charter_section_update(
        section=section,
        data={**section.data, "languages": ["Python"]},
        expected_version=0,
        author=people.senior,
    )
    client = client_for(people.lead)
    response = client.post(
        reverse("practices:charter_section_edit", args=["pay", "stack"]),
        {"version": "0", "languages": "Go"},
    )
    assert "saved it just now" in response.text
    assert "0 minutes" not in response.text
