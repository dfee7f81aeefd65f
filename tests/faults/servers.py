"""Private PostgreSQL and Redis servers that a fault test may stop and start at will.

Each lives in its own temp folder on a free port of 127.0.0.1 and is gone after the
test: never the machine's shared servers on 5432 and 6379, which other tests and other
checkouts use. PostgreSQL refuses to run as root, so under root (CI) its programs run
as the ``postgres`` user, and the folder is handed to that user.

    with private_postgres() as pg, private_redis() as redis:
        env = {"DATABASE_URL": pg.url(), "REDIS_URL": redis.url()}
        pg.stop(); ...; pg.start()
"""

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

START_TIMEOUT = 30
PG_USER = "postgres"


def free_port() -> int:
    """A port nothing listens on now (the OS's choice, so two tests never collide)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _as_server_user(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    return ["runuser", "-u", PG_USER, "--", *command]


class PrivatePostgres:
    """A PostgreSQL cluster of its own: ``initdb`` once, then ``start``/``stop`` freely."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.log = folder / "postgres.log"
        self.port = free_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str, timeout: float = 60) -> None:
        result = subprocess.run(
            _as_server_user(list(command)), capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise RuntimeError(f"{command[0]} failed: {result.stdout}{result.stderr}\n{log}")

    def init(self) -> None:
        # trust: only this machine can reach 127.0.0.1, and the cluster dies with the test.
        self._run("initdb", "-D", str(self.data), "-U", PG_USER, "-A", "trust", "--no-sync")

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w",
            "-t", str(START_TIMEOUT), "start",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        """``fast`` ends every session and shuts down cleanly; ``immediate`` is a crash."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def running(self) -> bool:
        return _listening(self.port)

    def create_database(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", PG_USER, name)
        return self.url(name)


class PrivateRedis:
    """A Redis of its own that keeps nothing on disk."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.log = folder / "redis.log"
        self.port = free_port()
        self._process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.folder),
            "--logfile", str(self.log),
        ]  # fmt: skip
        self._process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.monotonic() + START_TIMEOUT
        while not _listening(self.port):
            if self._process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start:\n{self.log.read_text()}")
            time.sleep(0.05)

    def stop(self) -> None:
        """SIGTERM and wait: the port is closed when this returns."""
        if self._process is None or self._process.poll() is not None:
            return
        self._process.send_signal(signal.SIGTERM)
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=10)

    def running(self) -> bool:
        return _listening(self.port)


def _server_folder(prefix: str) -> Path:
    # Not pytest's tmp_path: that sits in a root-only folder the postgres user cannot enter.
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    if os.geteuid() == 0:
        user = pwd.getpwnam(PG_USER)
        os.chown(folder, user.pw_uid, user.pw_gid)
    return folder


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    folder = _server_folder("teamlead-pg-")
    server = PrivatePostgres(folder)
    try:
        server.init()
        server.start()
        yield server
    finally:
        with suppress(Exception):
            if server.running():
                server.stop("immediate")
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def private_redis() -> Iterator[PrivateRedis]:
    folder = Path(tempfile.mkdtemp(prefix="teamlead-redis-"))
    server = PrivateRedis(folder)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)
