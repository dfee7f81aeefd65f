from collections.abc import Iterator

import pytest

from practices.jira import services
from practices.models import JiraConnection, Team
from tests.jira.fake_jira import FakeJira


@pytest.fixture(autouse=True)
def _quick_retries(settings):
    # The sync backs off 1 s, 2 s, 4 s between tries; tests wait milliseconds instead.
    # Retry-After is honoured as sent: the fake sends 1 s where a test needs it.
    settings.JIRA_RETRY_BASE_SECONDS = 0.01


@pytest.fixture
def fake_jira() -> Iterator[FakeJira]:
    with FakeJira(deployment="cloud", time_zone="Europe/Berlin") as fake:
        yield fake


@pytest.fixture
def fake_dc() -> Iterator[FakeJira]:
    with FakeJira(deployment="dc", time_zone="America/New_York") as fake:
        yield fake


def connect(team: Team, fake: FakeJira, **overrides) -> JiraConnection:
    """The team connected to ``fake`` through the service, as a lead would do it."""
    values = {
        "base_url": fake.url,
        "deployment": "cloud" if fake.deployment == "cloud" else "dc",
        "email": fake.email if fake.deployment == "cloud" else "",
        "token": fake.token,
        "jql": "project = PAY",
        "sync_interval_minutes": 5,
        **overrides,
    }
    return services.jira_connection_save(team=team, **values)


@pytest.fixture
def cloud_connection(team, fake_jira) -> JiraConnection:
    return connect(team, fake_jira)
