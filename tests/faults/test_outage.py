"""PostgreSQL and Redis stopped under real gunicorn: what a signed-in person gets.

Gunicorn runs as in production (the project's gunicorn.conf.py, DJANGO_DEBUG=false,
two workers, persistent database connections) against a private PostgreSQL and a
private Redis that the test stops and starts (tests/faults/servers.py).
"""

import http.client
import json
import re
import socket
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.faults.servers import free_port
from tests.test_deploy import SITE_HOST, manage, production_env
from tests.test_processes import Process, local_command, running

pytestmark = pytest.mark.faults

WORKERS = 2
EMAIL = "lead@outage.test"
PASSWORD = "a-long-password-for-the-outage-test"
SETUP = f"""
from django.contrib.auth import get_user_model
from practices.teams import services
user = get_user_model().objects.create_user(
    username={EMAIL!r}, email={EMAIL!r}, password={PASSWORD!r}
)
services.team_create(user=user, name="Payments", slug="pay", time_zone="Europe/Berlin")
"""


@dataclass
class Answer:
    status: int
    headers: http.client.HTTPMessage
    text: str
    seconds: float


class Visitor:
    """A browser behind the TLS proxy: keeps its cookies, sends the proxy's header."""

    def __init__(self, port: int, timeout: float = 10):
        self.port = port
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Host": SITE_HOST, "X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"https://{SITE_HOST}"
        started = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        finally:
            connection.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name] = rest.split(";", 1)[0]
        return Answer(response.status, response.headers, text, time.monotonic() - started)

    def get(self, path: str) -> Answer:
        return self.request("GET", path)

    def sign_in(self) -> Answer:
        page = self.get("/accounts/login/")
        assert page.status == 200, page.text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        form = {"csrfmiddlewaretoken": token, "username": EMAIL, "password": PASSWORD}
        return self.request("POST", "/accounts/login/", form)


@pytest.fixture(scope="module")
def static_root(tmp_path_factory) -> Path:
    """Collected once: the pages link the hashed names from its manifest."""
    folder = tmp_path_factory.mktemp("static")
    env = production_env(folder, DJANGO_STATIC_ROOT=str(folder / "static"))
    collected = manage("collectstatic", "--noinput", env=env, timeout=180)
    assert collected.returncode == 0, collected.stderr
    return folder / "static"


@pytest.fixture(scope="module")
def site_env(tmp_path_factory, postgres_server, redis_server, static_root) -> dict[str, str]:
    folder = tmp_path_factory.mktemp("site")
    env = production_env(
        folder,
        DATABASE_URL=postgres_server.create_database("teamlead"),
        REDIS_URL=redis_server.url(),
        DJANGO_STATIC_ROOT=str(static_root),
        # As .env.example: connections kept between requests, so a stop breaks live ones.
        DATABASE_CONN_MAX_AGE="60",
        DATABASE_CONNECT_TIMEOUT="2",
    )
    migrated = manage("migrate", "--noinput", env=env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    made = manage("shell", "-c", SETUP, env=env)
    assert made.returncode == 0, made.stderr
    return env


@pytest.fixture(scope="module")
def site(site_env, tmp_path_factory) -> Iterator[tuple[int, Process]]:
    port = free_port()
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    command = [*local_command("web"), "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS)]
    with running(command, env=site_env, log=log) as web:
        web.wait_until(lambda: _answers(port), timeout=30, what="gunicorn answering")
        yield port, web


def _answers(port: int) -> bool:
    try:
        return Visitor(port, timeout=5).get("/healthz").status in (200, 503)
    except OSError:
        return False


def _signed_in(port: int) -> Visitor:
    visitor = Visitor(port)
    signed = visitor.sign_in()
    assert signed.status == 302, signed.text
    assert visitor.get("/").status == 200
    return visitor


def _wait_for(condition, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"no {what} within {timeout} s")


def test_pages_answer_a_styled_503_while_postgresql_is_down_and_recover(site, postgres_server):
    port, web = site
    visitor = _signed_in(port)
    pages = ["/", "/t/pay/", "/notifications/"]
    for page in pages:
        assert visitor.get(page).status == 200, page

    postgres_server.stop("fast")
    try:
        for page in pages * 2:  # both workers, whose kept connections the stop broke
            answer = visitor.get(page)
            assert answer.status == 503, (page, answer.text[:500], web.output()[-3000:])
            assert answer.headers["Retry-After"] == "10"
            assert "We can't reach the database" in answer.text
            assert re.search(r'href="/static/css/app\.[0-9a-f]{12}\.css"', answer.text)
        token = visitor.cookies["csrftoken"]
        sent = visitor.request("POST", "/t/pay/proposals/new/", {"csrfmiddlewaretoken": token})
        assert sent.status == 503
        assert "What you sent was not saved" in sent.text

        health = visitor.get("/healthz")
        assert health.status == 503
        assert health.headers["Content-Type"] == "application/json", web.output()[-4000:]
        assert json.loads(health.text)["database"].startswith("error:")
    finally:
        postgres_server.start()

    _wait_for(lambda: visitor.get("/t/pay/").status == 200, timeout=20, what="recovery")
    for page in pages * 2:
        assert visitor.get(page).status == 200, page
    assert json.loads(visitor.get("/healthz").text)["database"] == "ok"


def test_signed_in_pages_and_sign_in_serve_while_redis_is_down(site, redis_server):
    port, web = site
    visitor = _signed_in(port)
    log_before = len(web.output())

    redis_server.stop()
    try:
        for _ in range(10):
            for page in ("/", "/t/pay/", "/t/pay/proposals/"):
                answer = visitor.get(page)
                assert answer.status == 200, (page, answer.text[:500])
                assert answer.seconds < 3
        fresh = Visitor(port)
        assert fresh.sign_in().status == 302
        assert fresh.get("/t/pay/").status == 200
        health = visitor.get("/healthz")
        assert health.status == 503
        assert json.loads(health.text)["broker"].startswith("error:")

        outage_log = web.output()[log_before:]
        warnings = outage_log.count("cache unreachable at")
        # Once per outage in each worker process that met it, not once per request.
        assert 1 <= warnings <= WORKERS, outage_log
        assert "Internal Server Error" not in outage_log
    finally:
        redis_server.start()

    time.sleep(5.5)  # the pause after a failure (teamlead/cache.py RETRY_SECONDS)
    for _ in range(6):
        assert visitor.get("/t/pay/").status == 200
    assert "cache reachable again at" in web.output()[log_before:]


def test_a_database_that_never_answers_frees_the_worker_after_the_connect_timeout(
    tmp_path, static_root
):
    """A server that takes the connection and says nothing (a hung host, a full backlog)."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(64)
    try:
        env = production_env(
            tmp_path,
            DATABASE_URL=f"postgres://teamlead@127.0.0.1:{silent.getsockname()[1]}/teamlead",
            DJANGO_STATIC_ROOT=str(static_root),
            DATABASE_CONNECT_TIMEOUT="2",
        )
        port = free_port()
        command = [*local_command("web"), "--bind", f"127.0.0.1:{port}", "--workers", "1"]
        with running(command, env=env, log=tmp_path / "gunicorn.log") as web:
            web.wait_until(lambda: _answers(port), timeout=30, what="gunicorn answering")
            visitor = Visitor(port, timeout=45)
            visitor.cookies["sessionid"] = "a-session-that-must-be-looked-up"
            answer = visitor.get("/")
            assert answer.status == 503, (answer.text[:300], web.output()[-2000:])
            assert answer.headers["Retry-After"] == "10"
            # Well inside gunicorn's 30 s worker timeout, which would otherwise end it.
            assert answer.seconds < 10
            # The same worker is free for the next person.
            assert Visitor(port, timeout=5).get("/accounts/login/").status == 200
    finally:
        silent.close()
