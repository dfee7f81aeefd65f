import pytest
from django.urls import reverse

from practices.models import Membership, Role
from tests.factories import UserFactory, add_member, make_team


def members_url(slug="pay"):
    return reverse("practices:members", args=[slug])


def test_members_page_lists_people_for_any_member(people, client_for):
    response = client_for(people.observer).get(members_url())
    assert response.status_code == 200
    for user in (people.lead, people.member, people.senior, people.observer):
        assert user.email in response.text
    assert 'name="email"' not in response.text  # only leads see the add form


def test_lead_adds_someone_new_by_email(people, client_for, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client_for(people.lead).post(
            members_url(), {"email": "New.Person@Example.com", "role": "member", "is_senior": "on"}
        )
    assert response.status_code == 302
    membership = Membership.objects.get(team=people.team, user__email="new.person@example.com")
    assert membership.is_senior and membership.role == Role.MEMBER
    assert not membership.user.has_usable_password()
    assert len(callbacks) == 1


@pytest.mark.parametrize(
    ("post", "message"),
    [
        ({"email": "member@example.com", "role": "member"}, "is already in Payments"),
        ({"email": "not-an-email", "role": "member"}, "Enter a valid email address"),
        ({"email": "x@example.com", "role": "owner"}, "Select a valid choice"),
        ({"email": "", "role": "member"}, "This field is required"),
    ],
)
def test_bad_member_input_is_refused(people, client_for, post, message):
    before = Membership.objects.count()
    response = client_for(people.lead).post(members_url(), post)
    assert response.status_code == 200
    assert message in response.text
    assert Membership.objects.count() == before


def test_lead_changes_a_role(people, client_for):
    target = Membership.objects.get(team=people.team, user=people.member)
    client_for(people.lead).post(
        reverse("practices:member_update", args=["pay", target.pk]), {"role": "lead"}
    )
    target.refresh_from_db()
    assert target.role == Role.LEAD and not target.is_senior


def test_the_last_lead_cannot_step_down_or_be_removed(people, client_for):
    client = client_for(people.lead)
    own = Membership.objects.get(team=people.team, user=people.lead)
    response = client.post(
        reverse("practices:member_update", args=["pay", own.pk]), {"role": "member"}, follow=True
    )
    assert "A team needs at least one lead" in response.text
    response = client.post(reverse("practices:member_remove", args=["pay", own.pk]), follow=True)
    assert "A team needs at least one lead" in response.text
    own.refresh_from_db()
    assert own.role == Role.LEAD


def test_with_two_leads_one_may_leave(people, client_for):
    Membership.objects.filter(user=people.senior).update(role=Role.LEAD)
    own = Membership.objects.get(team=people.team, user=people.lead)
    response = client_for(people.lead).post(
        reverse("practices:member_remove", args=["pay", own.pk])
    )
    assert response["Location"] == reverse("home")
    assert not Membership.objects.filter(pk=own.pk).exists()


def test_lead_removes_a_member(people, client_for):
    target = Membership.objects.get(team=people.team, user=people.member)
    client = client_for(people.lead)
    page = client.get(reverse("practices:members", args=["pay"])).text
    # The button that removes sits behind a second step that names who goes.
    remove_url = reverse("practices:member_remove", args=["pay", target.pk])
    step = page.split(f'action="{remove_url}"', 1)[0].rsplit('<details class="confirm">', 1)[1]
    assert "Remove…" in step
    assert f"Remove {people.member.get_full_name()} from Payments?" in page
    client.post(remove_url)
    assert not Membership.objects.filter(pk=target.pk).exists()


def test_a_membership_of_another_team_is_404(people, client_for):
    other = make_team(name="Search", slug="search", lead=UserFactory())
    stranger = Membership.objects.get(team=other, user=add_member(other))
    client = client_for(people.lead)
    for name in ("practices:member_update", "practices:member_remove"):
        response = client.post(reverse(name, args=["pay", stranger.pk]), {"role": "lead"})
        assert response.status_code == 404
    stranger.refresh_from_db()
    assert stranger.role == Role.MEMBER


def test_a_bad_role_is_refused_with_a_message(people, client_for):
    target = Membership.objects.get(team=people.team, user=people.member)
    response = client_for(people.lead).post(
        reverse("practices:member_update", args=["pay", target.pk]), {"role": "admin"}, follow=True
    )
    assert "Pick a role from the list" in response.text
    target.refresh_from_db()
    assert target.role == Role.MEMBER


def test_members_page_queries_do_not_grow_with_people(people, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(people.lead)
    client.get(members_url())
    with CaptureQueriesContext(connection) as few:
        client.get(members_url())
    for _ in range(30):
        add_member(people.team)
    with CaptureQueriesContext(connection) as many:
        response = client.get(members_url())
    assert response.text.count("<tr>") == 4 + 30 + 1
    assert len(few) == len(many)
