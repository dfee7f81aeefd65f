from django.urls import reverse

from practices.charter import services
from practices.models import CharterRevision, CharterSection
from tests.factories import make_team


def save(team, key, author, **changes):
    section = CharterSection.objects.get(team=team, key=key)
    return services.charter_section_update(
        section=section,
        data={**section.data, **changes},
        expected_version=section.version,
        author=author,
        message=f"set {changes}",
    )


def test_history_lists_revisions_with_their_diff(people, client_for):
    save(people.team, "retros", people.lead, every_weeks=3)
    response = client_for(people.member).get(reverse("practices:charter_history", args=["pay"]))
    assert response.status_code == 200
    assert "Retrospectives" in response.text
    assert "+ Every: 3 weeks" in response.text
    assert "- Every: 2 weeks" in response.text


def test_history_without_changes_has_an_empty_state(people, client_for):
    response = client_for(people.member).get(reverse("practices:charter_history", args=["pay"]))
    assert "No changes yet" in response.text


def test_history_filters_by_section_and_paginates(people, client_for):
    for weeks in range(1, 9):
        save(people.team, "retros", people.lead, every_weeks=weeks)
    for days in range(1, 30):
        save(people.team, "methodology", people.lead, iteration_length_days=days)
    client = client_for(people.member)
    url = reverse("practices:charter_history", args=["pay"])
    filtered = client.get(url, {"section": "retros"})
    assert filtered.text.count('class="card revision"') == 8
    first = client.get(url)
    assert first.text.count('class="card revision"') == 25
    assert "Page 1 of 2" in first.text
    second = client.get(url, {"page": "2"})
    assert second.text.count('class="card revision"') == 12
    assert client.get(url, {"page": "999"}).status_code == 200
    assert client.get(url, {"page": "abc", "section": "bogus"}).status_code == 200


def test_compare_shows_two_revisions_side_by_side(people, client_for):
    first = save(people.team, "retros", people.lead, every_weeks=3)
    save(people.team, "retros", people.lead, every_weeks=4)
    third = save(people.team, "retros", people.lead, every_weeks=5, weekday=0)
    response = client_for(people.member).get(
        reverse("practices:charter_compare", args=["pay"]), {"a": third.pk, "b": first.pk}
    )
    assert response.status_code == 200
    assert "#1 ⟷ #3" in response.text
    assert "Every: 3 weeks" in response.text and "Every: 5 weeks" in response.text


def test_compare_of_two_sections_says_so(people, client_for):
    a = save(people.team, "retros", people.lead, every_weeks=3)
    b = save(people.team, "methodology", people.lead, iteration_length_days=10)
    response = client_for(people.member).get(
        reverse("practices:charter_compare", args=["pay"]), {"a": a.pk, "b": b.pk}
    )
    assert "belong to different sections" in response.text


def test_compare_with_missing_or_bad_ids_goes_back_with_a_message(people, client_for):
    client = client_for(people.member)
    url = reverse("practices:charter_compare", args=["pay"])
    for params in ({}, {"a": "1"}, {"a": "x", "b": "2"}, {"a": "-1", "b": "2"}):
        response = client.get(url, params, follow=True)
        assert "Pick two revisions to compare" in response.text


def test_compare_with_another_teams_revision_is_404(people, client_for):
    other = make_team(name="Search", slug="search")
    lead = other.memberships.get().user
    theirs = save(other, "retros", lead, every_weeks=6)
    ours = save(people.team, "retros", people.lead, every_weeks=3)
    response = client_for(people.lead).get(
        reverse("practices:charter_compare", args=["pay"]), {"a": ours.pk, "b": theirs.pk}
    )
    assert response.status_code == 404
    assert CharterRevision.objects.count() == 2


def test_compare_and_settings_pages_make_few_queries(people, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = save(people.team, "retros", people.lead, every_weeks=3)
    second = save(people.team, "retros", people.lead, every_weeks=4)
    client = client_for(people.lead)
    pages = [
        (reverse("practices:charter_compare", args=["pay"]), {"a": first.pk, "b": second.pk}),
        (reverse("practices:team_settings", args=["pay"]), {}),
        (reverse("practices:charter_section_edit", args=["pay", "priorities"]), {}),
    ]
    for url, params in pages:
        client.get(url, params)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url, params).status_code == 200
        assert len(queries) <= 8, (url, len(queries))
