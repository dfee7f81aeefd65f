"""How fast the team pages answer over HTTP, against a floor page in the same server.

Seeds one team through the app's services (a charter with 1,000 revisions; a proposal
with 8 options, 60 votes and 200 comments among 5,000 proposals), starts gunicorn
(production's configuration, 2 sync workers) on a free loopback port, signs in over
HTTP like a browser, then times the pages one request at a time. The floor
(``bench/urls.py``) is a page with one query and a tiny template behind the same
middleware: a page's p95 divided by the floor's p95 is the cost of the page itself,
whatever the machine.

Query counts come from rendering each page in this process with Django's test client.

Settings are production's (DJANGO_DEBUG=false, collected static files, secrets made up
for the run) unless DJANGO_DEBUG is set; on PostgreSQL the tables are vacuumed and
analysed after seeding, as autovacuum would do shortly after such a load.

Database: PostgreSQL when DATABASE_URL says so; the bench creates and drops its own
database there (the URL's name if it ends in "_bench", else that name plus "_bench"),
so no other database is touched. Without DATABASE_URL: a SQLite file in a temp folder.

Run: ``.venv/bin/python bench/pages.py`` (or ``make bench``); ``--help`` for options.
Prints one ``name: value`` per line on stdout; progress goes to stderr.
"""

import argparse
import http.client
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we need.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    BenchError,
    bench_database,
    django_on_fresh_database,
    gunicorn,
    note,
    percentile,
    production_like,
    run_bench,
)
from bench.seeds import Seeded, seed_charter_1000, seed_proposals, seed_team  # noqa: E402

TARGET_RATIO = 3.0  # every page's p95 within 3x the floor's
TARGET_QUERIES = 15  # and under 15 queries


# -- what is seeded and measured ------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    path: Callable[[Seeded], str]


def team_page(url_name: str) -> Callable[[Seeded], str]:
    def path(seeded: Seeded) -> str:
        from django.urls import reverse

        return reverse(url_name, kwargs={"slug": seeded.team_slug})

    return path


def plain_page(url_name: str) -> Callable[[Seeded], str]:
    def path(seeded: Seeded) -> str:
        from django.urls import reverse

        return reverse(url_name)

    return path


# Add a page here (and a seeder to SEEDERS if it needs data) and it is timed and counted.
def proposal_page(seeded: Seeded) -> str:
    from django.urls import reverse

    return reverse("proposals:detail", args=[seeded.team_slug, seeded.figures["big_proposal"]])


PAGES: list[Page] = [
    Page("charter", team_page("practices:charter")),
    Page("history", team_page("practices:charter_history")),
    Page("proposal", proposal_page),
    Page("proposals", team_page("proposals:list")),
    Page("decisions", team_page("proposals:decision_log")),
]
FLOOR = Page("floor", plain_page("bench_floor"))


# (area, seeder) pairs, run in order after seed_team; each is timed as seed_<area>_s.
SEEDERS: list[tuple[str, Callable[[Seeded], None]]] = [
    ("charter", seed_charter_1000),
    ("proposals", seed_proposals),
]


# -- the HTTP client -------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    location: str | None
    body: bytes
    seconds: float


class Browser:
    """Just enough of a browser: cookies kept, redirects not followed, each request timed.

    gunicorn's sync workers close the connection after each response, so every request
    opens its own (loopback connect is a few microseconds, and the same for every page).
    """

    def __init__(self, port: int) -> None:
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}

    def request(
        self, method: str, path: str, *, form: dict | None = None, keep_cookies: bool = True
    ) -> Reply:
        headers = {"Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = self.origin
            headers["Referer"] = self.origin + path
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            seconds = time.perf_counter() - started
        finally:
            conn.close()
        if keep_cookies:
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    if morsel.value:
                        self.cookies[name] = morsel.value
                    else:
                        self.cookies.pop(name, None)
        return Reply(response.status, response.getheader("Location"), content, seconds)


def sign_in(browser: Browser, seeded: Seeded) -> None:
    """The login form as a browser uses it: GET for the CSRF cookie and token, then POST."""
    from django.conf import settings
    from django.urls import reverse

    login = reverse("login")
    form = browser.request("GET", login)
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    if form.status != 200 or token is None:
        raise BenchError(f"GET {login} gave {form.status} without a CSRF token")
    reply = browser.request(
        "POST",
        login,
        form={
            "username": seeded.lead_email,
            "password": seeded.lead_password,
            "csrfmiddlewaretoken": token.group(1).decode(),
        },
    )
    if reply.status != 302 or settings.SESSION_COOKIE_NAME not in browser.cookies:
        raise BenchError(f"signing in failed: POST {login} gave {reply.status}")


# -- measuring ------------------------------------------------------------------------


def time_pages(
    browser: Browser, paths: dict[str, str], *, warmup: int, requests: int, clients: int
) -> dict[str, list[float]]:
    """Seconds per request for each page; pages interleaved so drift hits all alike."""

    def run(schedule: list[str]) -> list[tuple[str, float]]:
        timed = []
        for name in schedule:
            reply = browser.request("GET", paths[name], keep_cookies=False)
            if reply.status != 200:
                raise BenchError(f"GET {paths[name]} gave {reply.status} ({reply.location})")
            timed.append((name, reply.seconds))
        return timed

    run([name for _ in range(warmup) for name in paths])
    schedule = [name for _ in range(requests) for name in paths]
    with ThreadPoolExecutor(max_workers=clients) as pool:
        shares = pool.map(run, [schedule[i::clients] for i in range(clients)])
        samples: dict[str, list[float]] = {name: [] for name in paths}
        for share in shares:
            for name, seconds in share:
                samples[name].append(seconds)
    return samples


def count_queries(seeded: Seeded, paths: dict[str, str]) -> dict[str, tuple[int, int]]:
    """Queries each page makes, uncached and cached, rendered here with the test client on
    the same database.

    Each page is rendered once first, so one-off work (a first connection) is not counted;
    then once with the ``pages`` cache emptied (what the first reader after a change
    costs) and once more (what the next readers cost).
    """
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # An allowed host: outside the test runner, "testserver" is not one.
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(email=seeded.lead_email))
    counts = {}
    for name, path in paths.items():
        client.get(path)
        caches["pages"].clear()
        found = []
        for _ in range(2):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(path)
            if response.status_code != 200:
                raise BenchError(f"in-process GET {path} gave {response.status_code}")
            found.append(len(queries))
        counts[name] = (found[0], found[1])
    return counts


# -- the run --------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page")
    parser.add_argument("--clients", type=int, default=1, help="concurrent clients (default 1)")
    parser.add_argument("--keep-db", action="store_true", help="keep the PostgreSQL database")
    args = parser.parse_args(argv)
    if min(args.requests, args.clients) < 1 or args.warmup < 0:
        parser.error("--requests and --clients must be at least 1, --warmup at least 0")
    return run_bench(run, args, prefix="teamlead-bench-")


def run(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    # Other busy processes widen every p95 alike, which pulls the ratios towards 1 and can
    # hide a slow page: a load near the number of CPUs means the run is not to be trusted.
    load_before = f"{os.getloadavg()[0]:.2f}"
    production_like(workdir)
    with bench_database(workdir, keep=args.keep_db) as (vendor, url):
        django_on_fresh_database(vendor, url)
        from django.conf import settings
        from django.core.management import call_command

        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
        seeded, seed_times = seed_all(vendor)
        paths = {page.name: page.path(seeded) for page in [*PAGES, FLOOR]}
        queries = count_queries(seeded, paths)
        note(f"starting gunicorn; {args.requests} requests per page, {args.clients} client(s)")
        with gunicorn(workdir / "gunicorn.log") as port:
            browser = Browser(port)
            sign_in(browser, seeded)
            samples = time_pages(
                browser,
                paths,
                warmup=args.warmup,
                requests=args.requests,
                clients=args.clients,
            )
        setup = {
            "django_debug": "on" if settings.DEBUG else "off",
            # 0 (the default) opens a database connection per request, floor included.
            "db_conn_max_age": settings.DATABASES["default"]["CONN_MAX_AGE"],
            "requests_per_page": args.requests,
            "clients": args.clients,
            "cpus": os.cpu_count(),
            "load_average_before": load_before,
        }
    return report(
        vendor=vendor,
        seeded=seeded,
        seed_times=seed_times,
        setup=setup,
        samples=samples,
        queries=queries,
    )


def seed_all(vendor: str) -> tuple[Seeded, dict[str, str]]:
    """The team, then each of ``SEEDERS`` (timed); on PostgreSQL, the tables analysed."""
    seeded = seed_team()
    seed_times = {}
    for area, seeder in SEEDERS:
        note(f"seeding {area}")
        started = time.perf_counter()
        seeder(seeded)
        seed_times[f"seed_{area}_s"] = f"{time.perf_counter() - started:.2f}"
    if vendor == "postgresql":
        # What autovacuum does within a minute of a bulk load in production (inserts
        # alone trigger it since PostgreSQL 13): without statistics the planner takes
        # 5,000 rows for 6 and picks hash joins, and without the visibility map a
        # COUNT cannot be answered from an index alone.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    return seeded, seed_times


def report(
    *,
    vendor: str,
    seeded: Seeded,
    seed_times: dict[str, str],
    setup: dict[str, object],
    samples: dict[str, list[float]],
    queries: dict[str, tuple[int, int]],
) -> dict[str, object]:
    """The figures in print order; ``target_met`` checks every page against the targets."""
    figures: dict[str, object] = {"database": vendor, **seeded.figures, **seed_times, **setup}
    floor_p95 = percentile(samples[FLOOR.name], 95)
    met = True
    for page in [*PAGES, FLOOR]:
        p95 = percentile(samples[page.name], 95)
        figures[f"{page.name}_p50_ms"] = f"{percentile(samples[page.name], 50) * 1000:.2f}"
        figures[f"{page.name}_p95_ms"] = f"{p95 * 1000:.2f}"
        uncached, cached = queries[page.name]
        figures[f"{page.name}_queries"] = cached
        figures[f"{page.name}_queries_uncached"] = uncached
        met = met and max(uncached, cached) < TARGET_QUERIES
        if page is not FLOOR:
            ratio = p95 / floor_p95
            figures[f"{page.name}_vs_floor"] = f"{ratio:.2f}"
            met = met and ratio <= TARGET_RATIO
    figures["target_met"] = "yes" if met else "no"
    return figures


if __name__ == "__main__":
    sys.exit(main())
