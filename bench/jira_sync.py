"""How fast the Jira sync stores tickets, against fetching the same pages without storing.

The fake Jira of the tests (``tests/jira/fake_jira.py``) runs as a process of its own
on a free loopback port and serves 50,000 tickets, 100 to a page, as Jira Cloud does.
A team is connected to it through the app's services, then, in this process:

1. a full sync (``jira_sync(full=True)``: every ticket, then the ids in scope to find
   the deleted ones) is timed: ``sync_full_seconds``, ``sync_issues_per_s``;
2. the floor: the same two passes over the same pages, through the same client and
   pager, each ticket parsed as the sync parses it, nothing stored:
   ``fetch_only_issues_per_s``; ``sync_vs_fetch_only`` is the sync's rate divided by
   the floor's (storage is not the bottleneck while it stays at 0.5 or more);
3. 500 tickets are changed in the fake, as people would, and an incremental sync is
   timed: ``sync_incremental_seconds``.

``sync_peak_rss_mb`` is this process's peak resident memory over the whole run (the fake
runs elsewhere); ``sync_duplicates`` counts tickets stored twice, by Jira id or by key.

Database: as ``bench/harness.py`` says (PostgreSQL when DATABASE_URL says so, in a database the
bench creates and drops; else a temporary SQLite file). Celery tasks the services queue
go to a temporary folder that nothing consumes.

Run: ``.venv/bin/python bench/jira_sync.py`` (or ``make bench``); ``--help`` for options.
Prints one ``name: value`` per line on stdout; progress goes to stderr.
"""

import argparse
import http.client
import json
import os
import resource
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we need.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    BenchError,
    bench_database,
    django_on_fresh_database,
    note,
    process_stop,
    production_like,
    queue_into_folder,
    run_bench,
)

TEAM_SLUG = "bench"
JQL = "project = PAY"  # every ticket the fake makes is in PAY
TARGET_RATIO = 0.5  # the sync at least half as fast as fetching alone
TARGET_RSS_MB = 300
# The account the fake accepts, given to it on its command line: the bench starts it as
# a process and does not import the tests.
FAKE_EMAIL = "bench@bench.test"
FAKE_TOKEN = "bench-token"


# -- the fake Jira, in a process of its own ----------------------------------------------


@contextmanager
def fake_jira(tickets: int, log_path: Path) -> Iterator[str]:
    """The fake serving ``tickets`` tickets; yields its address, stops it on the way out.

    A process of its own so that rendering the answers neither shares this process's
    interpreter lock with the sync nor counts towards its memory.
    """
    command = [
        sys.executable, "-m", "tests.jira.fake_jira", "--tickets", str(tickets),
        "--email", FAKE_EMAIL, "--token", FAKE_TOKEN,
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log)
    try:
        yield _fake_address(process, log_path)
    finally:
        process_stop(process, timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def _fake_address(process: subprocess.Popen, log_path: Path) -> str:
    """The ``url: …`` line the fake prints once its tickets are made and it listens."""
    assert process.stdout is not None
    with selectors.DefaultSelector() as waiting:
        waiting.register(process.stdout, selectors.EVENT_READ)
        if not waiting.select(timeout=120):
            raise BenchError("the fake Jira did not start within 120 s")
    line = process.stdout.readline().decode().strip()
    if not line.startswith("url: "):
        process.wait(timeout=5)
        log = log_path.read_text(errors="replace")[-2000:]
        raise BenchError(f"the fake Jira did not start ({process.returncode}):\n{log}")
    return line.removeprefix("url: ")


def fake_control(url: str, action: str, payload: dict | None = None) -> dict:
    """The fake's own controls (``/_fake/touch``, ``/_fake/stats``); not part of Jira."""
    conn = http.client.HTTPConnection(urlsplit(url).netloc, timeout=60)
    try:
        conn.request("POST", f"/_fake/{action}", body=json.dumps(payload or {}))
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise BenchError(f"the fake Jira answered /_fake/{action} with {response.status}")
    return json.loads(body)


# -- the app's side ------------------------------------------------------------------------


def connect_team(url: str):
    """A lead, their team, and the team connected to the fake through the services."""
    from django.contrib.auth import get_user_model

    from practices.jira import services as jira_services
    from practices.teams import services

    lead = get_user_model().objects.create_user(
        username="lead@bench.test", email="lead@bench.test", password=None
    )
    team = services.team_create(
        user=lead, name="Payments", slug=TEAM_SLUG, time_zone="Europe/Berlin"
    )
    return jira_services.jira_connection_save(
        team=team,
        base_url=url,
        deployment="cloud",
        email=FAKE_EMAIL,
        token=FAKE_TOKEN,
        jql=JQL,
        sync_interval_minutes=5,
    )


def timed_sync(connection, *, full: bool):
    from practices.jira.sync import jira_sync
    from practices.models import JiraSyncOutcome

    connection.refresh_from_db()
    started = time.perf_counter()
    run = jira_sync(connection=connection, full=full, trigger="bench")
    seconds = time.perf_counter() - started
    if run.outcome != JiraSyncOutcome.SUCCEEDED:
        raise BenchError(f"the sync ended {run.outcome}: {run.error}")
    if run.full != full:
        raise BenchError(f"asked for a {'full' if full else 'incremental'} sync, got the other")
    return run, seconds


def fetch_only(connection) -> tuple[int, float]:
    """The full sync's requests, pages and parsing, storing nothing: (tickets, seconds).

    The same client, pager, fields and page size as ``practices.jira.sync._passes``.
    """
    from practices.jira.jql import jql_split_order_by
    from practices.jira.sync import jira_client_for, search_pages
    from practices.jira.tickets import TICKET_FIELDS, ticket_from_json

    connection.refresh_from_db()
    where, _ = jql_split_order_by(connection.jql)
    seen: set[int] = set()
    in_scope: set[int] = set()
    started = time.perf_counter()
    with jira_client_for(connection) as client:
        client.connect()
        zone = str(client.myself().get("timeZone") or "")
        for page in search_pages(
            client,
            where=where,
            order_field="updated",
            since=None,
            zone_name=zone,
            fields=TICKET_FIELDS,
        ):
            for raw in page.issues:
                seen.add(ticket_from_json(raw, base_url=client.base_url).jira_id)
        for page in search_pages(
            client,
            where=where,
            order_field="created",
            since=None,
            zone_name=zone,
            fields=("created",),
        ):
            in_scope.update(int(raw["id"]) for raw in page.issues)
    seconds = time.perf_counter() - started
    if seen != in_scope:
        raise BenchError("fetching alone saw other tickets in its two passes")
    return len(seen), seconds


def duplicates(connection) -> int:
    """Tickets stored more than once, by Jira id or by key."""
    from django.db.models import Count

    from practices.models import JiraTicket

    tickets = JiraTicket.objects.filter(connection=connection)
    extra = 0
    for name in ("jira_id", "key"):
        counted = tickets.values(name).annotate(n=Count("id")).filter(n__gt=1)
        extra += sum(row["n"] - 1 for row in counted)
    return extra


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=50_000, help="tickets the fake serves")
    parser.add_argument("--changes", type=int, default=500, help="changed before the increment")
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)
    if args.tickets < 1 or not 0 < args.changes <= args.tickets:
        parser.error("--tickets must be at least 1, --changes between 1 and --tickets")
    return run_bench(run, args, prefix="teamlead-bench-jira-")


def run(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    load_before = f"{os.getloadavg()[0]:.2f}"
    # As a production worker runs it. With DEBUG on, Django keeps every query and, on
    # PostgreSQL, renders each with its parameters: a cost of development, not of the sync.
    production_like(workdir)
    # Saving the connection queues a sync.
    queue_into_folder(workdir)
    # The fake Jira listens on 127.0.0.1: a network a connection reaches only if allowed.
    os.environ["JIRA_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    note(f"starting the fake Jira with {args.tickets} tickets")
    with (
        fake_jira(args.tickets, workdir / "fake-jira.log") as url,
        bench_database(workdir, keep=args.keep_db) as (vendor, database_url),
    ):
        django_on_fresh_database(vendor, database_url)
        from django.conf import settings

        connection = connect_team(url)
        rss_before = peak_rss_mb()
        figures, ratio = _time_syncs(connection, args, url)
        duplicated = duplicates(connection)
        peak = peak_rss_mb()
        setup = {
            "database": vendor,
            "django_debug": "on" if settings.DEBUG else "off",
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
        }
    met = ratio >= TARGET_RATIO and peak < TARGET_RSS_MB and duplicated == 0
    return {
        **setup,
        **figures,
        "rss_before_sync_mb": f"{rss_before:.1f}",
        "sync_peak_rss_mb": f"{peak:.1f}",
        "sync_duplicates": duplicated,
        "target_met": "yes" if met else "no",
    }


def _time_syncs(connection, args: argparse.Namespace, url: str) -> tuple[dict[str, object], float]:
    """A full sync between two runs of the floor, then an incremental sync: the figures,
    and the sync's rate over the floor's."""
    from practices.models import JiraTicket

    # The floor is fetched before and after the full sync, and the faster time kept:
    # on a shared machine, a slow patch then cannot flatter the sync's ratio.
    note("fetching the pages without storing (the floor)")
    fetched, first_seconds, _ = _time_floor(connection, url)

    note("full sync")
    searches = fake_control(url, "stats")["searches"]
    full, full_seconds = timed_sync(connection, full=True)
    full_searches = fake_control(url, "stats")["searches"] - searches
    live = JiraTicket.objects.filter(connection=connection, gone=False)
    if live.count() != args.tickets:
        raise BenchError(f"the full sync stored {live.count()} of {args.tickets} tickets")

    note("fetching the pages without storing, again")
    fetched_again, seconds, fetch_searches = _time_floor(connection, url)
    if args.tickets != fetched or args.tickets != fetched_again:
        raise BenchError(f"fetching alone saw {fetched} of {args.tickets} tickets")
    fetch_seconds = min(first_seconds, seconds)

    note(f"changing {args.changes} tickets, then an incremental sync")
    touched = fake_control(url, "touch", {"count": args.changes})["touched"]
    increment, increment_seconds = timed_sync(connection, full=False)
    edited = live.filter(summary__endswith="(edited)").count()
    if edited != touched:
        raise BenchError(f"the incremental sync stored {edited} of {touched} changes")

    sync_rate = args.tickets / full_seconds
    fetch_rate = args.tickets / fetch_seconds
    ratio = sync_rate / fetch_rate
    figures = {
        "tickets": args.tickets,
        "page_size": 100,
        "sync_full_seconds": f"{full_seconds:.2f}",
        "sync_full_fetched": full.fetched,
        "sync_full_searches": full_searches,
        "sync_issues_per_s": f"{sync_rate:.0f}",
        "fetch_only_seconds": f"{fetch_seconds:.2f}",
        "fetch_only_searches": fetch_searches,
        "fetch_only_issues_per_s": f"{fetch_rate:.0f}",
        "sync_vs_fetch_only": f"{ratio:.2f}",
        "changes": touched,
        "sync_incremental_seconds": f"{increment_seconds:.2f}",
        "sync_incremental_fetched": increment.fetched,
        "sync_incremental_updated": increment.updated,
    }
    return figures, ratio


def _time_floor(connection, url: str) -> tuple[int, float, int]:
    """``fetch_only`` once: (tickets, seconds, searches the fake answered)."""
    searches = fake_control(url, "stats")["searches"]
    fetched, seconds = fetch_only(connection)
    return fetched, seconds, fake_control(url, "stats")["searches"] - searches


if __name__ == "__main__":
    sys.exit(main())
