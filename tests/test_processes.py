"""What docker-compose.yml runs, run as plain processes on this machine.

The commands come from docker-compose.yml itself, with only what a container would
have differently swapped in: the virtualenv's executables, a free port on 127.0.0.1,
and temp folders for the database, the static files, the broker and the schedule.
Every process is started in its own session and stopped as ``docker stop`` does,
with SIGTERM to the main process; whatever is left of its group after a bounded
wait is killed.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from tests.test_compose import COMPOSE, PROJECT, VENV_BIN, healthcheck_text, service_command
from tests.test_deploy import SITE_HOST, manage, production_env

pytestmark = pytest.mark.worker

STOP_TIMEOUT = 10


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_command(service: str) -> list[str]:
    """The service's compose command (.env.example as .env), run with this virtualenv's programs."""
    program, *arguments = service_command(service)
    return [str(VENV_BIN / program), *arguments]


def replace_option(command: list[str], name: str, value: str) -> list[str]:
    index = command.index(name)
    return [*command[: index + 1], value, *command[index + 2 :]]


class Process:
    def __init__(self, popen: subprocess.Popen, log: Path):
        self.popen = popen
        self.log = log

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_until(self, condition: Callable[[], bool], *, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.popen.poll() is not None:
                pytest.fail(f"exited with {self.popen.returncode} before {what}:\n{self.output()}")
            time.sleep(0.2)
        pytest.fail(f"no {what} within {timeout} s:\n{self.output()}")

    def stop(self) -> int | None:
        """SIGTERM to the main process, as docker stop does; SIGKILL to what is left after.

        Only the main process gets SIGTERM: a worker pool's children that are
        signalled directly die mid-task instead of being shut down by their parent.
        """
        self.popen.send_signal(signal.SIGTERM)
        try:
            returncode = self.popen.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            returncode = None
        with suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=STOP_TIMEOUT)
        return returncode


@contextmanager
def running(command: list[str], *, env: dict[str, str], log: Path) -> Iterator[Process]:
    with log.open("wb") as stream:
        popen = subprocess.Popen(
            command,
            cwd=PROJECT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=stream,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    process = Process(popen, log)
    try:
        yield process
    finally:
        if popen.poll() is None:
            process.stop()


def request(port: int, path: str, *, https: bool = True, **headers: str):
    """A request as the TLS proxy in front of the web container would forward it."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    if https:
        headers.setdefault("X-Forwarded-Proto", "https")
    connection.request("GET", path, headers={"Host": SITE_HOST, **headers})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response, body


@pytest.fixture
def broker_env(tmp_path) -> dict[str, str]:
    env = production_env(tmp_path)
    for folder in ("queue", "control"):
        (Path(env["CELERY_FILESYSTEM_DIR"]) / folder).mkdir(parents=True)
    return env


def test_gunicorn_serves_healthz_and_static_files_through_whitenoise(tmp_path):
    env = production_env(tmp_path)
    migrated = manage(*service_command("migrate")[2:], env=env)
    assert migrated.returncode == 0, migrated.stderr
    # The image runs collectstatic at build time; here it fills the temp STATIC_ROOT.
    collected = manage("collectstatic", "--noinput", env=env)
    assert collected.returncode == 0, collected.stderr

    port = free_port()
    command = [*local_command("web"), "--bind", f"127.0.0.1:{port}", "--workers", "2"]
    with running(command, env=env, log=tmp_path / "gunicorn.log") as web:
        # Ready when the compose health check itself says so.
        probe = [sys.executable, "-c", COMPOSE["services"]["web"]["healthcheck"]["test"][-1]]
        assert "/healthz" in healthcheck_text(COMPOSE["services"]["web"])
        probe_env = {**env, "PORT": str(port)}
        web.wait_until(
            lambda: subprocess.run(probe, env=probe_env, capture_output=True).returncode == 0,
            timeout=15,
            what="healthy /healthz",
        )

        response, body = request(port, "/healthz", https=False)
        assert response.status == 200
        assert response.getheader("Content-Type") == "application/json"
        assert json.loads(body) == {
            "status": "ok",
            "database": "ok",
            "broker": "ok",
            "scheduler": "ok",
        }

        # Plain HTTP that did not come through the proxy is sent to HTTPS.
        response, _ = request(port, "/accounts/login/", https=False)
        assert response.status == 301
        assert response.getheader("Location") == f"https://{SITE_HOST}/accounts/login/"

        response, body = request(port, "/accounts/login/")
        assert response.status == 200
        assert "max-age=" in response.getheader("Strict-Transport-Security")
        cookie = response.getheader("Set-Cookie")
        assert "Secure" in cookie
        assert "SameSite=Lax" in cookie
        stylesheet = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "the page links app.css by its hashed name"

        response, body = request(port, stylesheet[1].decode(), **{"Accept-Encoding": "gzip"})
        assert response.status == 200
        assert response.getheader("Content-Type").startswith("text/css")
        assert response.getheader("Content-Encoding") == "gzip"
        assert "immutable" in response.getheader("Cache-Control")

        response, body = request(port, "/static/css/app.css")
        assert response.status == 200
        assert body == (PROJECT / "static" / "css" / "app.css").read_bytes()

        assert web.stop() == 0, web.output()


def test_celery_worker_reports_ready_and_runs_a_task(tmp_path, broker_env):
    command = local_command("worker")
    with running(command, env=broker_env, log=tmp_path / "worker.log") as worker:
        worker.wait_until(lambda: " ready." in worker.output(), timeout=15, what="ready worker")

        call = ["call", "celery.accumulate", "--args", "[20, 22]"]
        sent = subprocess.run(
            [str(VENV_BIN / "celery"), "-A", "teamlead", *call],
            cwd=PROJECT,
            env=broker_env,
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert sent.returncode == 0, sent.stderr
        task_id = sent.stdout.strip()
        worker.wait_until(
            lambda: f"celery.accumulate[{task_id}] succeeded" in worker.output(),
            timeout=10,
            what="task result",
        )
        assert worker.stop() == 0, worker.output()


def test_celery_beat_starts_and_keeps_its_schedule_where_it_is_told(tmp_path, broker_env):
    schedule = tmp_path / "beat" / "celerybeat-schedule"
    schedule.parent.mkdir()
    command = replace_option(local_command("beat"), "--schedule", str(schedule))
    with running(command, env=broker_env, log=tmp_path / "beat.log") as beat:
        beat.wait_until(lambda: "beat: Starting" in beat.output(), timeout=15, what="beat start")
        time.sleep(3)
        assert beat.popen.poll() is None, beat.output()
        assert list(schedule.parent.glob(f"{schedule.name}*")), "no schedule file written"
        assert beat.stop() == 0, beat.output()
