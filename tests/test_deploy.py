"""Production settings, loaded in a child process the way a container loads them.

Settings are read once per process, so the production shape (DJANGO_DEBUG=false and
its secure block) can only be seen from a fresh interpreter with that environment.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from tests.test_compose import PROJECT, service_environment, settings_variables

SITE_HOST = "teamlead.example.com"


def clean_environment() -> dict[str, str]:
    """This process's environment less every Teamlead setting.

    The suite itself may run with DATABASE_URL or REDIS_URL set; a child that is
    meant to look like production must not pick those up by accident.
    """
    dropped = settings_variables() | {"DJANGO_SETTINGS_MODULE"}
    return {name: value for name, value in os.environ.items() if name not in dropped}


def production_env(folder: Path, **overrides: str) -> dict[str, str]:
    """A production-like environment whose database, broker and static files live in folder."""
    return {
        **clean_environment(),
        "DJANGO_SETTINGS_MODULE": "teamlead.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "JIRA_TOKEN_KEY": Fernet.generate_key().decode(),
        "DJANGO_ALLOWED_HOSTS": SITE_HOST,
        "SITE_URL": f"https://{SITE_HOST}",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "EMAIL_URL": "smtp+tls://teamlead:not-a-password@smtp.example.com:587",
        "DEFAULT_FROM_EMAIL": f"Teamlead <teamlead@{SITE_HOST}>",
        "CELERY_FILESYSTEM_DIR": str(folder / "broker"),
        "DJANGO_STATIC_ROOT": str(folder / "static"),
        "PYTHONUNBUFFERED": "1",
        **overrides,
    }


def manage(*arguments: str, env: dict[str, str], timeout: float = 60):
    return subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_deploy_checks_pass(env: dict[str, str]) -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output
    assert "WARNINGS:" not in output, output


def test_deploy_checks_pass_with_production_settings(tmp_path):
    assert_deploy_checks_pass(production_env(tmp_path))


def test_deploy_checks_pass_with_the_environment_compose_gives_the_containers():
    # .env.example stands in for .env, with its placeholder key replaced as the
    # operator would; DATABASE_URL names the compose host "postgres", but checking
    # the settings opens no connection.
    env = {
        **clean_environment(),
        **service_environment("web"),
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "JIRA_TOKEN_KEY": Fernet.generate_key().decode(),
    }
    assert_deploy_checks_pass(env)


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_to_start_without_a_jira_token_key(tmp_path):
    env = production_env(tmp_path)
    del env["JIRA_TOKEN_KEY"]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "JIRA_TOKEN_KEY must be set" in result.stderr


def test_production_refuses_a_jira_token_key_that_is_not_a_fernet_key(tmp_path):
    result = manage("check", env=production_env(tmp_path, JIRA_TOKEN_KEY="not-a-key"))
    assert result.returncode != 0
    assert "not a Fernet key" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("REMINDER_PLAN_SECONDS", "two minutes", "REMINDER_PLAN_SECONDS must be a number"),
        ("JIRA_SYNC_PLAN_SECONDS", "", "JIRA_SYNC_PLAN_SECONDS must be a number"),
        ("REMINDER_CLAIM_TIMEOUT", "1.5", "REMINDER_CLAIM_TIMEOUT must be a whole number"),
    ],
)
def test_a_setting_that_is_not_a_number_names_itself(tmp_path, name, value, message):
    result = manage("check", env=production_env(tmp_path, **{name: value}))
    assert result.returncode != 0
    assert message in result.stderr
    assert "invalid literal" not in result.stderr


def production_settings(folder: Path, *names: str) -> dict:
    script = (
        "import json, sys\n"
        "from django.conf import settings\n"
        "print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *names],
        cwd=PROJECT,
        env=production_env(folder),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_cookies_are_secure_http_only_and_same_site_lax(tmp_path):
    values = production_settings(
        tmp_path,
        "DEBUG",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "SESSION_COOKIE_SAMESITE",
        "CSRF_COOKIE_SECURE",
        "CSRF_COOKIE_SAMESITE",
    )
    assert values == {
        "DEBUG": False,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "CSRF_COOKIE_SECURE": True,
        "CSRF_COOKIE_SAMESITE": "Lax",
    }


def test_production_trusts_the_proxy_for_https_and_redirects_plain_http(tmp_path):
    values = production_settings(
        tmp_path,
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_REDIRECT_EXEMPT",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    # The compose health check probes /healthz over plain HTTP.
    assert values["SECURE_REDIRECT_EXEMPT"] == ["^healthz$"]
