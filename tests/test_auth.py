import re

import pytest
from django.core import mail
from django.urls import reverse

from practices.models import Role
from practices.teams import services, tasks
from tests.factories import PASSWORD, UserFactory, make_team


def sign_in(client, email, password=PASSWORD):
    return client.post(reverse("login"), {"username": email, "password": password})


@pytest.mark.django_db
def test_every_page_but_sign_in_needs_a_signed_in_user(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_in_with_email_any_case(client):
    UserFactory(email="ana@example.com")
    response = sign_in(client, "  Ana@Example.com ")
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.django_db
def test_wrong_password_says_so_and_keeps_the_email(client):
    UserFactory(email="ana@example.com")
    response = sign_in(client, "ana@example.com", "wrong")
    assert response.status_code == 200
    assert "That email and password do not match an account" in response.text
    assert 'value="ana@example.com"' in response.text


@pytest.mark.django_db
def test_sign_in_is_throttled_after_five_failures(client):
    UserFactory(email="ana@example.com")
    for _ in range(5):
        sign_in(client, "ana@example.com", "wrong")
    response = sign_in(client, "ana@example.com", PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-ins" in response.text
    # The lock is per account: someone else still signs in.
    UserFactory(email="bo@example.com")
    assert sign_in(client, "bo@example.com").status_code == 302


@pytest.mark.django_db
def test_changing_the_case_of_the_email_does_not_dodge_the_lock(client):
    UserFactory(email="ana@example.com")
    for variant in [
        "ana@example.com",
        "ANA@example.com",
        " Ana@Example.com",
        "anA@example.COM",
        "ana@EXAMPLE.com ",
    ]:
        sign_in(client, variant, "wrong")
    assert sign_in(client, "ana@example.com", PASSWORD).status_code == 429


@pytest.mark.django_db
def test_logout_invalidates_the_session(client):
    user = UserFactory()
    client.force_login(user)
    cookie = client.cookies["sessionid"].value
    assert client.post(reverse("logout")).status_code == 302
    client.cookies["sessionid"] = cookie
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_logout_is_post_only(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405


@pytest.mark.django_db
def test_password_reset_is_sent_by_a_worker_and_its_link_works(
    client, django_capture_on_commit_callbacks
):
    user = UserFactory(email="ana@example.com")
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": "ana@example.com"})
    assert response.status_code == 302
    assert len(callbacks) == 1  # one task queued, nothing sent inside the request
    assert mail.outbox == []
    tasks.send_password_reset_email(user.pk)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert message.alternatives[0][1] == "text/html"
    link = re.search(r"http://\S+/accounts/reset/\S+/", message.body).group(0)
    path = link.split("127.0.0.1:8000", 1)[1]
    response = client.get(path, follow=True)
    assert "Choose a new password" in response.text
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "a-new-long-pass", "new_password2": "a-new-long-pass"})
    user.refresh_from_db()
    assert user.check_password("a-new-long-pass")


@pytest.mark.django_db
def test_password_reset_for_an_unknown_email_reveals_nothing(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(reverse("password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert callbacks == []


@pytest.mark.django_db
def test_an_invited_person_sets_a_password_and_lands_in_the_team(
    client, django_capture_on_commit_callbacks
):
    team = make_team()
    with django_capture_on_commit_callbacks(execute=False):
        membership = services.membership_add(
            team=team, email="new@example.com", role=Role.MEMBER, is_senior=False
        )
    tasks.send_membership_email(membership.pk)
    tasks.send_membership_email(membership.pk)  # delivered twice: still one email
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject == "[PAY] You are invited to Payments on Teamlead"
    link = re.search(r"http://\S+/accounts/invitation/\S+/", message.body).group(0)
    response = client.get(link.split("127.0.0.1:8000", 1)[1], follow=True)
    assert "choose a password" in response.text
    response = client.post(
        response.redirect_chain[-1][0],
        {
            "name": "Nova Newman",
            "new_password1": "joined-the-team",
            "new_password2": "joined-the-team",
        },
    )
    assert sign_in(client, "new@example.com", "joined-the-team").status_code == 302
    assert client.get(reverse("practices:charter", args=["pay"])).status_code == 200


@pytest.mark.django_db
def test_an_existing_user_added_to_a_team_is_told_not_invited():
    team = make_team()
    UserFactory(email="known@example.com")
    membership = services.membership_add(
        team=team, email="known@example.com", role=Role.OBSERVER, is_senior=False
    )
    tasks.send_membership_email(membership.pk)
    assert mail.outbox[0].subject == "[PAY] You were added to Payments"


@pytest.mark.django_db
def test_membership_email_task_returns_quietly_when_the_row_is_gone():
    tasks.send_membership_email(987654)
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_failed_send_releases_the_claim_for_the_retry(monkeypatch):
    team = make_team()
    membership = services.membership_add(
        team=team, email="new@example.com", role=Role.MEMBER, is_senior=False
    )

    def refuse(**kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr(tasks.emails, "membership_email_send", refuse)
    with pytest.raises(ConnectionError):
        tasks.send_membership_email.run(membership.pk)
    membership.refresh_from_db()
    assert membership.invitation_sent_at is None
