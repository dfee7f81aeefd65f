"""docker-compose.yml, Dockerfile and .env.example, checked by reading them.

There is no container engine where the suite runs, so these tests hold the files to
what the project really has: the commands name code that exists, every variable
handed to the containers is one the settings read, and every setting is documented.
``tests/test_processes.py`` then runs the same commands as plain processes.
"""

import fnmatch
import importlib
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from celery.app.utils import find_app
from django.conf import settings
from django.core.management import get_commands
from django.urls import reverse

PROJECT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = PROJECT / "docker-compose.yml"
DOCKERFILE = PROJECT / "Dockerfile"
ENV_EXAMPLE = PROJECT / ".env.example"
SETTINGS_FILE = PROJECT / "teamlead" / "settings.py"
GUNICORN_CONFIG = PROJECT / "gunicorn.conf.py"
VENV_BIN = Path(sys.executable).parent

REQUIRED_SERVICES = {"postgres", "redis", "web", "worker", "beat"}
# Settings that only the embedded mode or an install outside compose uses.
NOT_PASSED_BY_COMPOSE = {"CELERY_BROKER_URL", "CELERY_FILESYSTEM_DIR", "DJANGO_STATIC_ROOT"}

# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?error}, ${NAME?error}, $NAME and $$.
_INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)"
    r"|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<operator>:?[-?])(?P<argument>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)
_ENV_READ = re.compile(
    r"""(?:\benv\.\w+|\benv|os\.environ\.get|os\.getenv|os\.environ)\s*[(\[]\s*["']([A-Z][A-Z0-9_]*)["']"""
)
_ENV_EXAMPLE_LINE = re.compile(r"^(?P<commented>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")


class MissingVariable(Exception):
    pass


def interpolate(value, variables: dict[str, str]):
    """Compose's variable substitution, applied to every string in a loaded file."""
    if isinstance(value, dict):
        return {key: interpolate(item, variables) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, variables) for item in value]
    if not isinstance(value, str):
        return value

    def substitute(match: re.Match) -> str:
        if match["escaped"]:
            return "$"
        name = match["name"] or match["bare"]
        current = variables.get(name)
        operator, argument = match["operator"], match["argument"] or ""
        unset_or_empty = not current
        if operator == ":-":
            return argument if unset_or_empty else current
        if operator == "-":
            return argument if current is None else current
        if (operator == ":?" and unset_or_empty) or (operator == "?" and current is None):
            raise MissingVariable(f"{name}: {argument}")
        return current or ""

    return _INTERPOLATION.sub(substitute, value)


def interpolated_names(text: str) -> set[str]:
    return {
        match["name"] or match["bare"]
        for match in _INTERPOLATION.finditer(text)
        if not match["escaped"]
    }


def load_compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def app_services(compose: dict) -> dict[str, dict]:
    """The services built from the project's Dockerfile."""
    return {name: service for name, service in compose["services"].items() if "build" in service}


def env_example_entries() -> dict[str, str | None]:
    """Every NAME=value in .env.example; None for the documented but commented-out ones."""
    entries = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        match = _ENV_EXAMPLE_LINE.match(line)
        if match:
            entries[match["name"]] = None if match["commented"] else match["value"]
    return entries


def env_example_values() -> dict[str, str]:
    return {name: value for name, value in env_example_entries().items() if value is not None}


def settings_variables() -> set[str]:
    """The environment variables teamlead/settings.py reads."""
    return set(_ENV_READ.findall(SETTINGS_FILE.read_text()))


def gunicorn_variables() -> set[str]:
    return set(_ENV_READ.findall(GUNICORN_CONFIG.read_text()))


def service_environment(name: str, variables: dict[str, str] | None = None) -> dict[str, str]:
    """What the named service's container gets, with .env.example standing in for .env."""
    service = interpolate(load_compose(), env_example_values() if variables is None else variables)
    environment = service["services"][name].get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return {key: "" if value is None else str(value) for key, value in environment.items()}


def service_command(name: str, variables: dict[str, str] | None = None) -> list[str]:
    """The service's command as compose would run it (exec form only, no shell)."""
    compose = interpolate(load_compose(), env_example_values() if variables is None else variables)
    command = compose["services"][name]["command"]
    assert isinstance(command, list), f"{name}: write the command as a list (exec form)"
    return [str(part) for part in command]


def option_value(command: list[str], *names: str) -> str | None:
    for index, part in enumerate(command):
        if part in names and index + 1 < len(command):
            return command[index + 1]
        for name in names:
            if name.startswith("--") and part.startswith(f"{name}="):
                return part.split("=", 1)[1]
    return None


def healthcheck_text(service: dict) -> str:
    test = service.get("healthcheck", {}).get("test", [])
    return " ".join(test) if isinstance(test, list) else test


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


COMPOSE = load_compose()
APP_SERVICES = sorted(app_services(COMPOSE))


def test_compose_defines_postgres_redis_web_worker_and_beat():
    assert set(COMPOSE["services"]) >= REQUIRED_SERVICES
    assert {"web", "worker", "beat"} <= set(APP_SERVICES)


def test_postgres_is_version_16_with_data_on_a_named_volume_and_a_readiness_check():
    postgres = COMPOSE["services"]["postgres"]
    assert postgres["image"].split(":")[1].split(".")[0].split("-")[0] == "16"
    mounts = {volume.split(":")[1]: volume.split(":")[0] for volume in postgres["volumes"]}
    assert mounts["/var/lib/postgresql/data"] in COMPOSE["volumes"]
    assert "pg_isready" in healthcheck_text(postgres)


def test_redis_is_checked_with_a_ping():
    assert "redis-cli ping" in healthcheck_text(COMPOSE["services"]["redis"])


# The ids are not the bare names: conftest skips any test with a "postgres" keyword.
@pytest.mark.parametrize("name", sorted(COMPOSE["services"]), ids=lambda name: f"service-{name}")
def test_every_service_has_a_healthcheck_or_waits_for_healthy_services(name):
    service = COMPOSE["services"][name]
    depends_on = service.get("depends_on", {})
    waits_for_healthy = isinstance(depends_on, dict) and any(
        rule.get("condition") == "service_healthy" for rule in depends_on.values()
    )
    assert "healthcheck" in service or waits_for_healthy


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_start_after_postgres_and_redis_are_healthy(name):
    depends_on = COMPOSE["services"][name]["depends_on"]
    assert depends_on["postgres"]["condition"] == "service_healthy"
    assert depends_on["redis"]["condition"] == "service_healthy"


def test_every_dependency_condition_can_be_met():
    services = COMPOSE["services"]
    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            assert target in services, f"{name} depends on a missing service {target}"
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in services[target], f"{target} has no healthcheck"
            elif rule["condition"] == "service_completed_successfully":
                # A restart policy would bring a finished one-off job back again and again.
                assert services[target].get("restart", "no") == "no", target


def test_app_services_share_one_image_built_from_the_dockerfile():
    builds = {str(COMPOSE["services"][name]["build"]) for name in APP_SERVICES}
    images = {COMPOSE["services"][name].get("image") for name in APP_SERVICES}
    assert builds == {"."}
    assert len(images) == 1
    assert DOCKERFILE.is_file()


def test_dockerfile_builds_on_python_3_11_slim_and_runs_as_a_non_root_user():
    instructions = dockerfile_instructions()
    assert [arguments for keyword, arguments in instructions if keyword == "FROM"] == [
        "python:3.11-slim"
    ]
    users = [arguments for keyword, arguments in instructions if keyword == "USER"]
    assert users, "the image must switch to a non-root user"
    assert users[-1].split(":")[0] not in {"root", "0"}


def test_dockerfile_installs_exactly_the_dependencies_pinned_in_pyproject():
    run_lines = [arguments for keyword, arguments in dockerfile_instructions() if keyword == "RUN"]
    snippet = next(
        re.search(r'python -c "([^"]+)"', line)[1] for line in run_lines if "tomllib" in line
    )
    printed = subprocess.run(
        [sys.executable, "-c", snippet], cwd=PROJECT, capture_output=True, text=True, check=True
    ).stdout.split()
    pinned = tomllib.loads((PROJECT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert printed == pinned


def test_dockerignore_keeps_everything_the_image_needs():
    patterns = [
        line.strip()
        for line in (PROJECT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    needed = [
        "pyproject.toml",
        "README.md",
        "manage.py",
        "gunicorn.conf.py",
        "teamlead/settings.py",
        "practices/models.py",
        "proposals/__init__.py",
        "templates/base.html",
        "static/css/app.css",
    ]
    for path in needed:
        for pattern in patterns:
            pattern = pattern.removeprefix("**/")
            assert not fnmatch.fnmatch(path, pattern), f".dockerignore drops {path} ({pattern})"
            assert not path.startswith(f"{pattern}/"), f".dockerignore drops {path} ({pattern})"


# Importing the WSGI module builds the middleware, and whitenoise notes that
# STATIC_ROOT is missing: only collectstatic creates it.
@pytest.mark.filterwarnings("ignore:No directory at:UserWarning")
@pytest.mark.parametrize("name", APP_SERVICES)
def test_each_app_command_names_something_that_exists(name):
    command = service_command(name)
    program = command[0]
    assert (VENV_BIN / program).exists(), f"{program} is not installed by the project"
    if program == "python":
        assert command[1] == "manage.py"
        assert command[2] in get_commands(), f"manage.py has no command {command[2]}"
    elif program == "gunicorn":
        module_name, _, attribute = command[1].partition(":")
        module = importlib.import_module(module_name)
        assert callable(getattr(module, attribute or "application"))
        config = option_value(command, "-c", "--config")
        assert config is not None and (PROJECT / config).is_file()
    elif program == "celery":
        app = find_app(option_value(command, "-A", "--app"))
        assert app.main == "teamlead"
        assert command[3] in {"worker", "beat"}
    else:
        pytest.fail(f"{name} runs {program}, which this test does not know how to check")


def test_web_serves_the_wsgi_application_that_settings_name():
    command = service_command("web")
    assert f"{command[1]}.application" == settings.WSGI_APPLICATION
    assert any(port.endswith(":8000") for port in COMPOSE["services"]["web"]["ports"])


def test_web_healthcheck_asks_healthz():
    assert reverse("healthz") == "/healthz"
    assert '"/healthz"' in healthcheck_text(COMPOSE["services"]["web"])


def test_schema_is_migrated_once_before_web_worker_and_beat_start():
    assert "migrate" in service_command("migrate")
    for name in ("web", "worker", "beat"):
        rule = COMPOSE["services"][name]["depends_on"]["migrate"]
        assert rule["condition"] == "service_completed_successfully"


def test_beat_keeps_its_schedule_file_on_a_named_volume():
    schedule = Path(option_value(service_command("beat"), "-s", "--schedule"))
    mounts = dict(
        reversed(volume.split(":")[:2]) for volume in COMPOSE["services"]["beat"]["volumes"]
    )
    assert str(schedule.parent) in mounts
    assert mounts[str(schedule.parent)] in COMPOSE["volumes"]
    # The image creates that folder for the app user, so a new volume inherits its owner.
    assert any(
        keyword == "RUN" and "var/beat" in arguments and "chown" in arguments
        for keyword, arguments in dockerfile_instructions()
    )


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_run_with_debug_off(name):
    assert service_environment(name)["DJANGO_DEBUG"] == "false"


@pytest.mark.parametrize("name", APP_SERVICES)
def test_every_variable_compose_passes_is_read_and_documented(name):
    read = settings_variables() | gunicorn_variables()
    documented = set(env_example_entries())
    for variable in service_environment(name):
        assert variable in read, f"{name} gets {variable}, which nothing reads"
        assert variable in documented, f"{variable} is missing from .env.example"


def test_every_setting_reaches_the_containers():
    passed = set(service_environment("web")) & set(service_environment("worker"))
    missing = settings_variables() - passed - NOT_PASSED_BY_COMPOSE
    assert not missing, f"add {sorted(missing)} to the app environment in docker-compose.yml"


def test_every_setting_is_in_env_example_with_a_comment_above_it():
    lines = ENV_EXAMPLE.read_text().splitlines()
    entries = env_example_entries()
    missing = settings_variables() - set(entries)
    assert not missing, f"document {sorted(missing)} in .env.example"
    for index, line in enumerate(lines):
        match = _ENV_EXAMPLE_LINE.match(line)
        if match:
            above = lines[index - 1]
            assert above.startswith("#") and not _ENV_EXAMPLE_LINE.match(above), (
                f"{match['name']} in .env.example needs a comment line above it"
            )


def test_env_example_names_only_variables_something_reads():
    known = (
        settings_variables() | gunicorn_variables() | interpolated_names(COMPOSE_FILE.read_text())
    )
    unknown = set(env_example_entries()) - known
    assert not unknown, f".env.example lists {sorted(unknown)}, which nothing reads"


def test_every_variable_compose_interpolates_is_in_env_example():
    missing = interpolated_names(COMPOSE_FILE.read_text()) - set(env_example_entries())
    assert not missing, f"document {sorted(missing)} in .env.example"


@pytest.mark.parametrize("secret", ["DJANGO_SECRET_KEY", "JIRA_TOKEN_KEY", "POSTGRES_PASSWORD"])
def test_compose_refuses_to_start_without_its_secrets(secret):
    values = env_example_values()
    del values[secret]
    with pytest.raises(MissingVariable, match=secret):
        service_environment("web", values)
