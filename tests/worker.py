"""A real Celery worker process for tests where the worker's behaviour is the point.

It runs against the test database and the tests' broker (see ``celery_broker`` in
conftest), and writes emails as files into a folder the test reads.
"""

import email
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path

from django.conf import settings
from django.db import connection

# The fake Jira's address: what a Jira connection may reach in tests, as the operator's
# JIRA_ALLOWED_NETWORKS setting allows a private network (practices/jira/addresses.py).
TEST_JIRA_NETWORKS = "127.0.0.1/32"


def test_database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or 5432
    return f"postgres://{user}@{host}:{port}/{db['NAME']}"


def worker_env(broker: dict, mail_dir: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": test_database_url(),
        "EMAIL_URL": f"filemail://{mail_dir}",
        "SITE_URL": "http://testserver",
        "JIRA_ALLOWED_NETWORKS": TEST_JIRA_NETWORKS,
    }
    if broker["broker_url"].startswith("filesystem"):
        folder = Path(broker["broker_transport_options"]["data_folder_in"]).parent
        env["CELERY_FILESYSTEM_DIR"] = str(folder)
        env.pop("REDIS_URL", None)
    return env


@contextmanager
def running_worker(
    broker: dict, mail_dir: Path, *, beat: bool = False, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen]:
    """A worker (optionally with beat) that is ready when the block starts and gone after.

    ``env`` adds or overrides environment variables of the worker process.
    """
    from teamlead.celery import app

    app.control.purge()  # drop what earlier tests published and nobody consumed
    log = mail_dir.parent / f"worker-{time.monotonic_ns()}.log"
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "teamlead",
        "worker",
        "--loglevel",
        "INFO",
        "--concurrency",
        "1",
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        command += ["--beat", "--schedule", str(mail_dir.parent / "beat-schedule")]
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env={**worker_env(broker, mail_dir), **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    process.log = log
    try:
        wait_for(lambda: "ready" in log.read_text(), timeout=30, what=f"worker ready ({log})")
        yield process
    finally:
        if process.poll() is None:  # a test may have killed it already
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


def wait_for(condition, *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


# Django's file backend (EMAIL_BACKEND set to it) appends to one .log file per
# connection, 79 dashes apart; ours (teamlead.mail) writes one .eml per message.
_MESSAGE_SEPARATOR = b"-" * 79


def read_mail(mail_dir: Path) -> list[EmailMessage]:
    """Every email the worker wrote to ``mail_dir``, oldest file first."""
    messages = []
    for path in sorted(mail_dir.iterdir()):
        if path.suffix not in {".eml", ".log"}:
            continue
        for chunk in path.read_bytes().split(_MESSAGE_SEPARATOR):
            if chunk.strip():
                messages.append(email.message_from_bytes(chunk.strip(), policy=policy.default))
    return messages
