import factory
from django.contrib.auth import get_user_model

from practices.charter.services import charter_section_update
from practices.models import CharterSection, Membership, Role
from practices.teams.services import team_create

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    username = factory.SelfAttribute("email")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


def make_team(*, lead=None, name="Payments", slug="pay", time_zone="Europe/Berlin"):
    """A team made the way the app makes one: through the service, with its charter."""
    lead = lead or UserFactory()
    return team_create(user=lead, name=name, slug=slug, time_zone=time_zone)


def save_retro_cadence(team, author, **data):
    """Saves the charter's retro cadence the way a lead does, through the service.

    Saving books the team's retros: until then the defaults are not agreed, and no
    retro exists. Saving the same data again changes nothing.
    """
    section = CharterSection.objects.get(team=team, key="retros")
    if section.version and {**section.data, **data} == section.data:
        return
    charter_section_update(
        section=section,
        data={**section.data, **data},
        expected_version=section.version,
        author=author,
    )


def add_member(team, user=None, *, role=Role.MEMBER, is_senior=False):
    user = user or UserFactory()
    Membership.objects.create(team=team, user=user, role=role, is_senior=is_senior)
    return user


def make_jira_connection(team, **values):
    """The team connected to a Jira site through the service (which never contacts it)."""
    from practices.jira.services import jira_connection_save

    return jira_connection_save(
        team=team,
        **{
            "base_url": "https://jira.example.com",
            "deployment": "dc",
            "email": "",
            "token": "personal-access-token",
            "jql": "project = PAY",
            "sync_interval_minutes": 5,
            **values,
        },
    )
