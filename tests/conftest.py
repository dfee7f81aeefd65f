import ipaddress
import os
import uuid
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection

from practices.models import Role, Team
from teamlead.celery import app as celery_app
from tests.factories import UserFactory, add_member, make_team
from tests.worker import TEST_JIRA_NETWORKS

# The SQLite test database lives in var/ so that a worker process can open it too.
settings.VAR_DIR.mkdir(exist_ok=True)
# WhiteNoise warns on every request when STATIC_ROOT is missing; tests never collect.
settings.STATIC_ROOT.mkdir(exist_ok=True)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}


def pytest_collection_modifyitems(config, items):
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres", "postgresql"))
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL: set DATABASE_URL=postgres://…")
    # Fault tests start and stop private servers and kill processes: slow, so a laptop's
    # `make test` leaves them out; CI (CI=true, as .ci/run runs) and FAULT_TESTS=1 run them.
    run_faults = _env_true("CI") or _env_true("FAULT_TESTS")
    skip_faults = pytest.mark.skip(reason="fault test: set FAULT_TESTS=1 (CI runs it)")
    for item in items:
        if item.get_closest_marker("postgres") and not on_postgres:
            item.add_marker(skip_pg)
        if item.get_closest_marker("faults") and not run_faults:
            item.add_marker(skip_faults)


@pytest.fixture(scope="session", autouse=True)
def celery_broker(tmp_path_factory):
    """Tests publish to a broker of their own: Redis when REDIS_URL is set, else a temp folder.

    Nothing consumes it unless a test starts a real worker (see ``tests/worker.py``).
    """
    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        broker = {"broker_url": redis_url, "broker_transport_options": {"visibility_timeout": 3600}}
    else:
        folder = tmp_path_factory.mktemp("broker")
        broker = {
            "broker_url": "filesystem://",
            "broker_transport_options": {
                "data_folder_in": str(folder / "queue"),
                "data_folder_out": str(folder / "queue"),
                "control_folder": str(folder / "control"),
                "store_processed": False,
            },
        }
        for sub in ("queue", "control"):
            (folder / sub).mkdir()
    celery_app.conf.update(**broker)
    yield broker
    # Leave no unconsumed test messages behind for a real worker to find later.
    celery_app.control.purge()


@pytest.fixture(autouse=True)
def _fake_jira_allowed(settings):
    # The fake Jira listens on 127.0.0.1, which a Jira connection reaches only when
    # allowed (practices/jira/addresses.py); worker processes are allowed the same.
    settings.JIRA_ALLOWED_NETWORKS = [ipaddress.ip_network(TEST_JIRA_NETWORKS)]


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The real hasher takes ~0.3 s per password on purpose; tests make many.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class TeamPeople:
    team: Team
    lead: object
    senior: object
    member: object
    observer: object
    outsider: object


@pytest.fixture
def people(db) -> TeamPeople:
    lead = UserFactory(email="lead@example.com")
    team = make_team(lead=lead)
    return TeamPeople(
        team=team,
        lead=lead,
        senior=add_member(team, UserFactory(email="senior@example.com"), is_senior=True),
        member=add_member(team, UserFactory(email="member@example.com")),
        observer=add_member(team, UserFactory(email="observer@example.com"), role=Role.OBSERVER),
        outsider=UserFactory(email="outsider@example.com"),
    )


@pytest.fixture
def team(people) -> Team:
    return people.team


@pytest.fixture
def client_for(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _own_page_cache(monkeypatch):
    """Each test its own namespace for what the proposal page caches.

    Their keys name the proposal by id, and ids come round again after a test's
    rollback (SQLite); a namespace per test keeps one test's rendering out of the next.
    """
    from proposals.selectors import page_cache

    monkeypatch.setattr(page_cache, "NAMESPACE", f"test-{uuid.uuid4().hex}")
