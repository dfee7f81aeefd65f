"""People have names: the one display rule, the profile page and the invitation."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client
from django.urls import reverse

from practices.charter import services
from practices.models import CharterSection, Membership, OutboxMessage, ReminderProfile, Role
from practices.retros.services import retro_action_item_add, retro_card_add
from practices.teams import services as team_services
from practices.teams import tasks
from practices.teams.forms import InvitationAcceptForm
from practices.teams.tasks import send_email_change_confirmation
from practices.web import person_name, person_name_from
from proposals.services import proposals as proposal_services
from proposals.services.pages import design_page_create_from_proposal
from proposals.services.proposals import ActionItemInput
from tests.factories import PASSWORD, UserFactory, add_member, make_team
from tests.proposals.factories import decide, make_proposal
from tests.retros.conftest import set_cadence

User = get_user_model()


def _invalid(html: str, field: str) -> bool:
    """The field is marked invalid (its message sits next to it)."""
    return bool(re.search(rf'<[^>]*aria-invalid="true"[^>]*id="id_{field}"', html))


def test_person_name_is_the_name_else_the_email_else_a_word_for_nobody():
    assert person_name(User(first_name="Ana", last_name="Silva", email="a@x.test")) == "Ana Silva"
    assert person_name(User(first_name="Ana Silva", email="a@x.test")) == "Ana Silva"
    assert person_name(User(email="a@x.test")) == "a@x.test"
    assert person_name(User(username="ana")) == "ana"
    assert person_name(None) == "someone who left"
    assert person_name_from("", "", "a@x.test") == "a@x.test"


@pytest.mark.django_db
def test_the_person_filter_shows_the_name_and_says_nothing_for_nobody():
    from django.template import engines

    template = engines["django"].from_string('{{ a|person }}|{{ b|person|default:"gone" }}')
    ana = UserFactory(first_name="Ana", last_name="Silva")
    assert template.render({"a": ana, "b": None}) == "Ana Silva|gone"


# -- names, not emails, across the app ------------------------------------------------


@pytest.fixture
def named_team(db):
    lead = UserFactory(first_name="Lena", last_name="Lindqvist", email="lena@corp.test")
    dev = UserFactory(first_name="Dmitri", last_name="Volkov", email="dmitri@corp.test")
    team = make_team(lead=lead)
    add_member(team, dev)
    section = CharterSection.objects.get(team=team, key="communication")
    services.charter_section_update(
        section=section,
        data={**section.data, "standup": "Daily at 9:30, ten minutes."},
        expected_version=section.version,
        author=lead,
    )
    decided = make_proposal(team, dev, approver=lead, open_it=True, title="Queue for emails")
    proposal_services.proposal_vote_cast(
        proposal=decided, voter=dev, option_id=decided.options.first().pk
    )
    proposal_services.comment_add(proposal=decided, author=dev, body="Looks right to me.")
    decide(decided, action_items=[ActionItemInput(text="Write the runbook", owner=dev)])
    design_page_create_from_proposal(proposal=decided, author=dev)
    open_one = make_proposal(team, dev, approver=lead, open_it=True, title="Cache the charter")
    set_cadence(team, lead, every_weeks=2)
    retro = team.retros.order_by("starts_at").first()
    retro_card_add(retro=retro, author=dev, column="well", text="Calm week", anonymous=False)
    retro_action_item_add(
        retro=retro, text="Fix the flaky test", owner=dev, due_date=None, created_by=lead
    )
    return {
        "team": team,
        "lead": lead,
        "dev": dev,
        "decided": decided,
        "open": open_one,
        "retro": retro,
    }


LEAD_PAGES = {"charter", "history", "decision log"}


def _pages(world):
    slug = world["team"].slug
    decided, page = world["decided"], world["decided"].design_page
    return {
        "charter": reverse("practices:charter", args=[slug]),
        "history": reverse("practices:charter_history", args=[slug]),
        "proposals": reverse("proposals:list", args=[slug]),
        "proposal": reverse("proposals:detail", args=[slug, decided.number]),
        "votes": reverse("proposals:votes", args=[slug, decided.number]),
        "decision log": reverse("proposals:decision_log", args=[slug]),
        "design pages": reverse("proposals:page_list", args=[slug]),
        "design page": reverse("proposals:page_detail", args=[slug, page.number]),
        "retro board": reverse("practices:retro_board", args=[slug, world["retro"].pk]),
    }


@pytest.mark.django_db
def test_main_pages_show_names_not_emails(client, named_team):
    client.force_login(named_team["lead"])
    for label, url in _pages(named_team).items():
        html = client.get(url).content.decode()
        assert re.search(r'class="who"[^>]*>Lena Lindqvist<', html), f"{label}: header"
        body = html.split("</header>", 1)[1]
        # The lead changed the charter and decided; the member did the rest.
        named = "Lena Lindqvist" if label in LEAD_PAGES else "Dmitri Volkov"
        assert named in body, f"{label}: {named} is named"
        for email in ("lena@corp.test", "dmitri@corp.test"):
            assert email not in html, f"{label} shows {email} where a name belongs"


@pytest.mark.django_db
def test_the_members_page_names_people_and_keeps_their_email_beside_the_name(client, named_team):
    client.force_login(named_team["lead"])
    html = client.get(reverse("practices:members", args=["pay"])).content.decode()
    assert re.search(r"<strong>Dmitri Volkov</strong>", html)
    assert "dmitri@corp.test" in html


@pytest.mark.django_db
def test_a_person_without_a_name_is_shown_by_their_email(client):
    lead = UserFactory(first_name="", last_name="", email="noname@corp.test")
    make_team(lead=lead)
    client.force_login(lead)
    html = client.get(reverse("practices:charter", args=["pay"])).content.decode()
    assert re.search(r'class="who"[^>]*>noname@corp\.test</a>', html)


# -- the invitation --------------------------------------------------------------------


def _invite(client, lead, **post):
    client.force_login(lead)
    data = {"name": "Nova Newman", "email": "nova@corp.test", "role": Role.MEMBER, **post}
    return client.post(reverse("practices:members", args=["pay"]), data)


@pytest.mark.django_db
def test_an_invitation_asks_for_the_name_and_says_who_invited_to_which_team(client):
    lead = UserFactory(first_name="Lena", last_name="Lindqvist")
    make_team(lead=lead)
    response = _invite(client, lead)
    assert response.status_code == 302
    invited = User.objects.get(email="nova@corp.test")
    assert invited.get_full_name() == "Nova Newman"
    membership = Membership.objects.get(user=invited)
    assert membership.invited_by == lead
    tasks.send_membership_email(membership.pk)
    [message] = mail.outbox
    html = message.alternatives[0][0]
    assert "Hello Nova Newman," in message.body
    assert "Lena Lindqvist invited you to the team Payments" in message.body
    assert (
        "<strong>Lena Lindqvist</strong> invited you to the team <strong>Payments</strong>" in html
    )


@pytest.mark.django_db
def test_adding_someone_does_not_rename_a_person_who_has_an_account(client):
    lead = UserFactory()
    make_team(lead=lead)
    known = UserFactory(first_name="Kim", last_name="Known", email="nova@corp.test")
    _invite(client, lead, name="Somebody Else")
    known.refresh_from_db()
    assert known.get_full_name() == "Kim Known"


def _accept_link(client, lead) -> str:
    _invite(client, lead)
    membership = Membership.objects.get(user__email="nova@corp.test")
    tasks.send_membership_email(membership.pk)
    link = re.search(r"http://\S+/accounts/invitation/\S+/", mail.outbox[-1].body).group(0)
    client.logout()
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path, follow=True)
    return response.redirect_chain[-1][0], response


@pytest.mark.django_db
def test_accepting_shows_the_name_to_confirm_signs_in_and_lands_on_the_team(client):
    lead = UserFactory()
    make_team(lead=lead)
    url, page = _accept_link(client, lead)
    assert 'value="Nova Newman"' in page.text
    response = client.post(
        url,
        {
            "name": "Nova N. Newman",
            "new_password1": "joined-the-team",
            "new_password2": "joined-the-team",
        },
    )
    assert response.status_code == 302
    assert response.url == reverse("practices:charter", args=["pay"])
    charter = client.get(response.url)
    assert charter.status_code == 200, "signed in by setting the password"
    assert "Welcome, Nova N. Newman." in charter.text
    user = User.objects.get(email="nova@corp.test")
    assert user.get_full_name() == "Nova N. Newman"
    assert user.check_password("joined-the-team")


@pytest.mark.django_db
def test_accepting_without_a_name_says_so_next_to_the_field_and_sets_nothing(client):
    lead = UserFactory()
    make_team(lead=lead)
    url, _ = _accept_link(client, lead)
    response = client.post(
        url, {"name": "  ", "new_password1": "joined-the-team", "new_password2": "joined-the-team"}
    )
    assert response.status_code == 200
    assert _invalid(response.text, "name")
    assert "Write your name." in response.text
    assert not User.objects.get(email="nova@corp.test").has_usable_password()


# -- the profile page ------------------------------------------------------------------


def _profile_post(client, **data):
    return client.post(reverse("profile"), {"action": "profile", **data})


@pytest.mark.django_db
def test_the_header_links_to_the_profile_page(client):
    user = UserFactory(first_name="Ana", last_name="Silva")
    client.force_login(user)
    html = client.get(reverse("home")).content.decode()
    assert re.search(rf'<a class="who" href="{reverse("profile")}"[^>]*>Ana Silva</a>', html)


def _email_change_link(to: str) -> str:
    """Runs the queued confirmation task and returns the link mailed to ``to``."""
    row = OutboxMessage.objects.get(task="practices.teams.tasks.send_email_change_confirmation")
    send_email_change_confirmation(*row.args)
    (sent,) = [m for m in mail.outbox if m.to == [to]]
    return re.search(r"http://\S+/accounts/email/\S+/", sent.body).group(0)


@pytest.mark.django_db
def test_the_profile_changes_name_email_and_time_zone(client):
    user = UserFactory(first_name="Ana", last_name="Silva", email="ana@corp.test")
    client.force_login(user)
    response = _profile_post(
        client,
        name="Ana Maria Silva",
        email="Ana.Silva@Corp.test",
        time_zone="America/Recife",
        password=PASSWORD,
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.get_full_name() == "Ana Maria Silva"
    assert ReminderProfile.objects.get(user=user).time_zone == "America/Recife"
    # The new email waits for its owner to confirm it through the link mailed to it.
    assert user.email == user.username == "ana@corp.test"
    link = _email_change_link("ana.silva@corp.test")
    assert client.get(link).status_code == 302
    user.refresh_from_db()
    assert user.email == user.username == "ana.silva@corp.test"
    client.logout()
    signed_in = client.post(
        reverse("login"), {"username": "ana.silva@corp.test", "password": PASSWORD}
    )
    assert signed_in.status_code == 302, "the new email is the sign-in name"


@pytest.mark.django_db
def test_a_new_email_needs_the_current_password(client):
    user = UserFactory(first_name="Ana", last_name="Silva", email="ana@corp.test")
    client.force_login(user)
    for password in ["", "wrong"]:
        response = _profile_post(
            client, name="Ana Silva", email="new@corp.test", time_zone="", password=password
        )
        assert response.status_code == 200
        assert _invalid(response.text, "password")
        assert "Enter your current password to change your email." in response.text
    assert not OutboxMessage.objects.exists()
    user.refresh_from_db()
    assert user.email == "ana@corp.test"


@pytest.mark.django_db
def test_an_unconfirmed_email_cannot_take_an_invitation_to_that_address(client):
    """Mallory cannot claim an address she does not own and get the team it is invited to."""
    mallory = UserFactory(email="mallory@corp.test")
    client.force_login(mallory)
    _profile_post(
        client, name="Mallory", email="newhire@corp.test", time_zone="", password=PASSWORD
    )
    secret = make_team(slug="secret")
    team_services.membership_add(
        team=secret, email="newhire@corp.test", role=Role.MEMBER, is_senior=False
    )
    invited = Membership.objects.get(team=secret, user__email="newhire@corp.test")
    assert invited.user_id != mallory.pk
    assert client.get(reverse("practices:charter", args=["secret"])).status_code == 404


@pytest.mark.django_db
def test_an_email_change_link_works_only_for_its_account_its_day_and_its_address(
    client, monkeypatch
):
    ana = UserFactory(email="ana@corp.test")
    client.force_login(ana)
    _profile_post(client, name="Ana", email="ana.new@corp.test", time_zone="", password=PASSWORD)
    link = _email_change_link("ana.new@corp.test")

    other = Client()
    other.force_login(UserFactory(email="bob@corp.test"))
    assert other.get(link, follow=True).text.count("This link is for another account.") == 1

    monkeypatch.setattr("practices.teams.email_change.MAX_AGE_SECONDS", -1)
    assert "This link has expired" in client.get(link, follow=True).text
    monkeypatch.undo()

    # Another change in between voids the link.
    User.objects.filter(pk=ana.pk).update(email="ana.third@corp.test")
    assert "This link is for an earlier change" in client.get(link, follow=True).text
    ana.refresh_from_db()
    assert ana.email == "ana.third@corp.test"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "TAKEN@corp.test", "Another account uses that email; choose another."),
        ("email", "not-an-email", "Enter a valid email address."),
        ("name", " ", "Write your name."),
        ("time_zone", "Mars/Olympus", "is not a time zone we know"),
    ],
)
def test_the_profile_refuses_bad_input_next_to_the_field(client, field, value, message):
    UserFactory(email="taken@corp.test")
    user = UserFactory(first_name="Ana", last_name="Silva", email="ana@corp.test")
    client.force_login(user)
    data = {"name": "Ana Silva", "email": "ana@corp.test", "time_zone": "", field: value}
    response = _profile_post(client, **data)
    assert response.status_code == 200
    assert _invalid(response.text, field)
    assert message in response.text
    user.refresh_from_db()
    assert (user.get_full_name(), user.email) == ("Ana Silva", "ana@corp.test")


@pytest.mark.django_db
def test_changing_the_password_keeps_this_session_signed_in(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {
            "action": "password",
            "old_password": PASSWORD,
            "new_password1": "a-brand-new-secret",
            "new_password2": "a-brand-new-secret",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-brand-new-secret")
    assert client.get(reverse("profile")).status_code == 200, "still signed in"


@pytest.mark.django_db
def test_a_wrong_old_password_changes_nothing(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("profile"),
        {
            "action": "password",
            "old_password": "wrong",
            "new_password1": "a-brand-new-secret",
            "new_password2": "a-brand-new-secret",
        },
    )
    assert response.status_code == 200
    assert _invalid(response.text, "old_password")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_the_profile_page_answers_in_a_constant_number_of_queries(
    client, django_assert_max_num_queries
):
    user = UserFactory()
    client.force_login(user)
    client.get(reverse("profile"))
    with django_assert_max_num_queries(4):
        assert client.get(reverse("profile")).status_code == 200


def test_the_profile_page_refuses_other_methods(client, db):
    client.force_login(UserFactory())
    assert client.put(reverse("profile")).status_code == 405


@pytest.mark.django_db
def test_a_used_or_wrong_invitation_link_says_it_no_longer_works(client):
    response = client.get(reverse("invitation_accept", args=["MQ", "bad-token"]))
    assert response.status_code == 200
    assert "This link no longer works" in response.text
    assert InvitationAcceptForm(None).fields["name"].initial is None  # no user, no name
