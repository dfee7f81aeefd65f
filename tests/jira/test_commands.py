"""``manage.py jira_connect`` and ``manage.py jira_sync``, against the fake Jira."""

import io
import re
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from practices.jira.crypto import token_decrypt
from practices.jira.lease import Lease
from practices.models import JiraConnection, JiraSyncRun
from tests import worker
from tests.jira.conftest import connect

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def cloud_flags(fake, **changes: str) -> list[str]:
    flags = {
        "--team": "pay",
        "--url": fake.url,
        "--deployment": "cloud",
        "--email": fake.email,
        "--token": fake.token,
        "--jql": "project = PAY",
        **changes,
    }
    return [part for flag, value in flags.items() if value is not None for part in (flag, value)]


def figures(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(\w+): (.*)$", output, flags=re.MULTILINE))


def manage(*args: str) -> subprocess.CompletedProcess:
    """The command as an operator runs it: a process of its own, on the test database."""
    env = {
        "DATABASE_URL": worker.test_database_url(),
        "PATH": "/usr/bin:/bin",
        "JIRA_ALLOWED_NETWORKS": worker.TEST_JIRA_NETWORKS,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


# -- jira_connect ------------------------------------------------------------------------


def test_connect_saves_a_cloud_site_with_the_token_encrypted_and_never_printed(team, fake_jira):
    output = run("jira_connect", *cloud_flags(fake_jira), "--interval", "10")

    connection = JiraConnection.objects.get(team=team)
    assert (connection.base_url, connection.deployment) == (fake_jira.url, "cloud")
    assert (connection.email, connection.jql) == (fake_jira.email, "project = PAY")
    assert connection.sync_interval_minutes == 10
    assert fake_jira.token not in connection.token_encrypted
    assert token_decrypt(encrypted=connection.token_encrypted) == fake_jira.token
    assert f"Connected pay to {fake_jira.url} (Jira Cloud)" in output
    assert fake_jira.token not in output
    assert fake_jira.requests == [], "without --check it does not contact Jira"


def test_connect_reads_a_data_center_token_from_stdin(team, fake_dc, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{fake_dc.token}\n"))
    run(
        "jira_connect",
        *cloud_flags(fake_dc, **{"--deployment": "dc", "--email": None, "--token": "-"}),
    )
    connection = JiraConnection.objects.get(team=team)
    assert connection.deployment == "dc"
    assert token_decrypt(encrypted=connection.token_encrypted) == fake_dc.token


def test_connect_again_keeps_the_saved_token_when_none_is_given(team, fake_jira):
    run("jira_connect", *cloud_flags(fake_jira))
    output = run(
        "jira_connect", *cloud_flags(fake_jira, **{"--token": None, "--jql": "labels = x"})
    )
    connection = JiraConnection.objects.get(team=team)
    assert connection.jql == "labels = x"
    assert token_decrypt(encrypted=connection.token_encrypted) == fake_jira.token
    assert output.startswith("Reconnected pay")


def test_connect_with_check_tests_against_jira_before_saving(team, fake_jira):
    fake_jira.add(3)
    output = run("jira_connect", *cloud_flags(fake_jira), "--check")
    assert output.count("ok: ") >= 2
    assert "FAILED" not in output
    assert JiraConnection.objects.filter(team=team).exists()


def test_connect_with_check_saves_nothing_when_jira_refuses_the_token(team, fake_jira):
    out = io.StringIO()
    with pytest.raises(CommandError, match="Not saved: the connection test failed"):
        call_command(
            "jira_connect", *cloud_flags(fake_jira, **{"--token": "wrong"}), "--check", stdout=out
        )
    assert "FAILED: " in out.getvalue()
    assert "401" in out.getvalue()
    assert not JiraConnection.objects.exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"--team": "nope"}, "No team with the short name 'nope'."),
        ({"--url": "ftp://jira.example.com"}, "--url: Use an http:// or https:// address."),
        ({"--email": None}, "--email: Jira Cloud needs the email of the token's account."),
        ({"--token": None}, "--token: Enter the API token."),
        ({"--jql": "ORDER BY key"}, "--jql: Give a filter before any ORDER BY"),
        ({"--deployment": "server"}, "invalid choice: 'server'"),
    ],
)
def test_connect_refuses_bad_input_naming_the_flag(team, fake_jira, changes, message):
    with pytest.raises(CommandError) as refused:
        run("jira_connect", *cloud_flags(fake_jira, **changes))
    assert message in str(refused.value)
    assert not JiraConnection.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_bad_input_exits_non_zero_with_the_reason_on_stderr(team, fake_jira):
    done = manage("jira_connect", *cloud_flags(fake_jira, **{"--url": "ftp://jira.example.com"}))
    assert done.returncode != 0
    assert "--url: Use an http:// or https:// address." in done.stderr
    assert done.stdout == ""
    assert not JiraConnection.objects.exists()


# -- jira_sync ---------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_sync_runs_in_the_foreground_and_prints_what_it_did(team, fake_jira):
    fake_jira.add(130)
    connect(team, fake_jira)

    done = manage("jira_sync", "--team", "pay")

    assert done.returncode == 0, done.stderr
    printed = figures(done.stdout)
    assert int(printed["fetched"]) >= 130
    assert (printed["created"], printed["updated"], printed["deleted"]) == ("130", "0", "0")
    assert float(printed["seconds"]) > 0
    assert printed["outcome"] == "succeeded"
    assert JiraSyncRun.objects.get().trigger == "command"


def test_sync_full_finds_tickets_deleted_in_jira(team, fake_jira):
    issues = fake_jira.add(20)
    connect(team, fake_jira)
    run("jira_sync", "--team", "pay")
    fake_jira.delete(issues[3])
    fake_jira.delete(issues[7])
    fake_jira.touch(issues[5], summary="Changed")

    incremental = figures(run("jira_sync", "--team", "pay"))
    assert (incremental["updated"], incremental["deleted"]) == ("1", "0")
    full = figures(run("jira_sync", "--team", "pay", "--full"))
    assert (full["created"], full["updated"], full["deleted"]) == ("0", "0", "2")
    assert list(JiraSyncRun.objects.order_by("started_at").values_list("full", flat=True)) == [
        False,
        False,
        True,
    ]


def test_sync_of_a_team_without_jira_says_how_to_connect_one(team):
    with pytest.raises(CommandError, match=r"Team 'pay' has no Jira connection \(jira_connect\)"):
        run("jira_sync", "--team", "pay")


def test_sync_of_a_team_that_does_not_exist_says_there_is_no_such_team(team):
    with pytest.raises(CommandError, match=r"^No team with the short name 'nope'\.$"):
        call_command("jira_sync", "--team", "nope")


def test_sync_refuses_while_another_sync_runs(team, fake_jira):
    connection = connect(team, fake_jira)
    assert Lease.claim(connection_id=connection.pk) is not None
    with pytest.raises(CommandError, match="Another sync of this team is running"):
        run("jira_sync", "--team", "pay")
    assert not JiraSyncRun.objects.exists()


def test_a_failed_sync_prints_its_counts_and_fails_with_jiras_reason(team, fake_jira):
    fake_jira.add(5)
    connect(team, fake_jira)
    fake_jira.token = "rotated-in-jira"
    out = io.StringIO()
    with pytest.raises(CommandError, match=r"Jira refused the credentials \(401 Unauthorized\)"):
        call_command("jira_sync", "--team", "pay", stdout=out, stderr=io.StringIO())
    assert figures(out.getvalue())["outcome"] == "needs_attention"
