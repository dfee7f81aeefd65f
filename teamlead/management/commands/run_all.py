"""Starts the web server and a Celery worker with beat together; Ctrl-C stops them all."""

import os
import signal
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from practices.management.commands.load_demo import DEMO_PASSWORD, DEMO_PEOPLE


def _raise_keyboard_interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def child_environment(*, host: str, port: int, environ: dict[str, str]) -> dict[str, str]:
    """The web server's and the worker's environment: links in emails (SITE_URL) point at
    the port we serve on, unless SITE_URL was set."""
    env = dict(environ)
    if not env.get("SITE_URL"):
        # A wildcard address is where we listen, not an address to visit.
        visit = "127.0.0.1" if host in {"0.0.0.0", "::", ""} else host  # noqa: S104  # nosec B104
        env["SITE_URL"] = f"http://{visit}:{port}"
    return env


class Command(BaseCommand):
    help = "Runs the web app and a Celery worker with beat, for local use."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--port", type=int, default=8000, help="web port; email links follow it"
        )
        parser.add_argument("--host", default="127.0.0.1")

    def handle(self, *args, host: str, port: int, **options) -> None:
        (settings.VAR_DIR / "mail").mkdir(parents=True, exist_ok=True)
        python = sys.executable
        commands = {
            "web": [python, "manage.py", "runserver", f"{host}:{port}", "--noreload"],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "teamlead",
                "worker",
                "--beat",
                "--loglevel",
                "INFO",
                "--concurrency",
                "2",
                "--schedule",
                str(settings.CELERY_BEAT_SCHEDULE_FILENAME),
            ],
        }
        # Stop the children on SIGTERM/SIGHUP too, not only on Ctrl-C: they run in
        # sessions of their own so that a Ctrl-C reaches them only through us.
        for signum in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, _raise_keyboard_interrupt)
        env = child_environment(host=host, port=port, environ=dict(os.environ))
        processes = {
            name: subprocess.Popen(  # noqa: S603
                command, cwd=settings.BASE_DIR, env=env, start_new_session=True
            )
            for name, command in commands.items()
        }
        self._print_banner(host, port, env["SITE_URL"])
        try:
            while all(process.poll() is None for process in processes.values()):
                time.sleep(0.5)
            stopped = [name for name, process in processes.items() if process.poll() is not None]
            self.stderr.write(f"{', '.join(stopped)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping…")
        finally:
            for process in processes.values():
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
            for process in processes.values():
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def _print_banner(self, host: str, port: int, site_url: str) -> None:
        lines = [
            "",
            f"Teamlead is running at http://{host}:{port}/",
            f"Demo logins (password for all: {DEMO_PASSWORD}):",
            *[
                f"  {email:<22} {role}{' (senior)' if senior else ''}"
                for email, _f, _l, role, senior in DEMO_PEOPLE
            ],
            f"Emails are written to {settings.VAR_DIR / 'mail'}; their links go to {site_url}",
            "Press Ctrl-C to stop the web server and the worker.",
            "",
        ]
        self.stdout.write(self.style.SUCCESS("\n".join(lines)))
