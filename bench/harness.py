"""What every bench shares: its own database, gunicorn, a temporary folder, the report.

Each bench (``pages.py``, ``jira_sync.py``, ``reminders.py``) runs in a fresh database it
creates and drops: PostgreSQL when DATABASE_URL says so (the URL's name if it ends in
"_bench", else that name plus "_bench"), else a SQLite file in the run's temporary
folder. Figures go to stdout, one ``name: value`` a line; progress goes to stderr.
"""

import argparse
import base64
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "bench.settings"
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


class BenchError(Exception):
    """The bench could not run; the message says why."""


def note(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- the database --------------------------------------------------------------------


@contextmanager
def bench_database(workdir: Path, *, keep: bool) -> Iterator[tuple[str, str]]:
    """A fresh database for this run, as (vendor, DATABASE_URL); dropped afterwards."""
    given = os.environ.get("DATABASE_URL", "")
    scheme = urlsplit(given).scheme
    if not given or scheme.startswith("sqlite"):
        if given:
            note("DATABASE_URL is SQLite: using a temporary SQLite file instead")
        yield "sqlite", f"sqlite:///{workdir / 'bench.sqlite3'}"
        return
    if scheme not in POSTGRES_SCHEMES:
        raise BenchError(f"DATABASE_URL must be PostgreSQL or unset, not {scheme}://")
    parts = urlsplit(given)
    name = parts.path.lstrip("/") or "teamlead"
    if not name.endswith("_bench"):
        note(f"using database {name}_bench, not {name}: the bench drops the database it uses")
        name = f"{name}_bench"
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    try:
        _postgres_recreate(admin_url, name)
    except psycopg.Error as error:
        raise BenchError(f"could not create database {name}: {error}") from error
    try:
        yield "postgresql", urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            note(f"kept database {name}")
        else:
            with psycopg.connect(admin_url, autocommit=True) as admin:
                admin.execute(_drop(name))


# Written on the databases the bench creates: it drops no database without it.
BENCH_DATABASE_MARK = "Scratch database of bench/pages.py; dropped after each run."


def _drop(name: str) -> sql.Composed:
    return sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))


def _postgres_recreate(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as admin:
        found = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        ).fetchone()
        if found is not None:
            if found[0] != BENCH_DATABASE_MARK:
                raise BenchError(
                    f"database {name} exists and was not made by the bench: "
                    "drop it yourself or choose another name in DATABASE_URL"
                )
            admin.execute(_drop(name))  # left over from a run that was killed
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(name), sql.Literal(BENCH_DATABASE_MARK)
            )
        )


def django_on_fresh_database(vendor: str, url: str) -> None:
    """Django set up on the bench's database (``bench_database``), its tables migrated."""
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    import django
    from django.core.management import call_command

    django.setup()
    note(f"migrating a fresh {vendor} database")
    call_command("migrate", interactive=False, verbosity=0)


def queue_into_folder(workdir: Path) -> None:
    """Celery tasks the services queue go to a folder nothing reads, not a real queue."""
    os.environ["CELERY_BROKER_URL"] = "filesystem://"
    os.environ["CELERY_FILESYSTEM_DIR"] = str(workdir / "celery")


# -- processes: gunicorn, and stopping what the bench started --------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(log_path: Path) -> Iterator[int]:
    """gunicorn as the web container runs it, stopped on the way out.

    Production's ``gunicorn.conf.py`` (named explicitly: gunicorn would otherwise read
    one from whatever folder the bench was started in), access log included, with 2
    sync workers on a free loopback port.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "teamlead.wsgi",
        "--config", str(ROOT / "gunicorn.conf.py"),
        "--workers", "2", "--worker-class", "sync",
        "--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT),
        "--log-level", "warning",
    ]  # fmt: skip
    # Same environment as this process (DATABASE_URL, DJANGO_SETTINGS_MODULE); the
    # command line wins over the configuration file.
    env = {k: v for k, v in os.environ.items() if k != "GUNICORN_CMD_ARGS"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, port, log_path)
        yield port
    finally:
        process_stop(process, timeout=15)


def process_stop(process: subprocess.Popen, *, timeout: float) -> None:
    """SIGTERM, then SIGKILL if it has not exited within ``timeout`` seconds."""
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_until_up(process: subprocess.Popen, port: int, log_path: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.1)
    raise BenchError(f"gunicorn did not answer /healthz within 30 s:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- measuring and reporting ----------------------------------------------------------


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with ``pct``% of samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


def run_bench(
    run: Callable[[argparse.Namespace, Path], dict[str, object]],
    args: argparse.Namespace,
    *,
    prefix: str,
) -> int:
    """``run(args, workdir)`` in a temporary folder removed afterwards, its figures printed
    one ``name: value`` a line; 1, with the reason on stderr, if the bench could not run."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so cleanup still runs
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        figures = run(args, workdir)
    except BenchError as error:
        print(f"bench: could not run: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for name, value in figures.items():
        print(f"{name}: {value}")
    return 0


def production_like(workdir: Path) -> None:
    """Settings as a production web container has them, unless the caller chose otherwise.

    With DEBUG on, Django records every query and renders templates in debug mode, which
    is not what users get. Secrets are made up for the run; plain HTTP on loopback stays
    plain (no SSL redirect), and static files are collected into the run's folder for
    whitenoise's manifest storage.
    """
    if os.environ.setdefault("DJANGO_DEBUG", "false").lower() not in ("false", "0", "off", "no"):
        return
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("JIRA_TOKEN_KEY", base64.urlsafe_b64encode(os.urandom(32)).decode())
    os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "false"
    os.environ["DJANGO_STATIC_ROOT"] = str(workdir / "static")
