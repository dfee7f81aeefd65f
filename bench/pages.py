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
import base64
import http.client
import os
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# Run as a script, Python puts bench/ first on the path; the project root is what we need.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

SETTINGS_MODULE = "bench.settings"
TEAM_SLUG = "bench"
LEAD_EMAIL = "lead@bench.test"
LEAD_PASSWORD = "bench-lead-password-1"
TARGET_RATIO = 3.0  # every page's p95 within 3x the floor's
TARGET_QUERIES = 15  # and under 15 queries
POSTGRES_SCHEMES = ("postgres", "postgresql", "pgsql")


class BenchError(Exception):
    """The bench could not run; the message says why."""


def note(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


# -- what is seeded and measured ------------------------------------------------------


@dataclass
class Seeded:
    """What the seeders made that pages and the sign-in need."""

    team_slug: str
    lead_email: str
    lead_password: str
    figures: dict[str, object] = field(default_factory=dict)


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


# Add a page here (and a seeder below if it needs data) and it is timed and counted.
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


# -- seeding, one function per area --------------------------------------------------

PEOPLE = [
    # (email, first name, last name, role) — the first is the lead who signs in.
    (LEAD_EMAIL, "Lena", "Lindqvist", "lead"),
    ("colead@bench.test", "Sam", "Okafor", "lead"),
    ("dev1@bench.test", "Diego", "Alvarez", "member"),
    ("dev2@bench.test", "Priya", "Raman", "member"),
    ("observer@bench.test", "Olga", "Petrova", "observer"),
]

NOTES = [
    "Agreed in the retro: small pull requests (under 400 lines) are reviewed first.",
    "Support asked for a heads-up in #releases before anything that touches billing.",
    "We tried this for one quarter and kept it.",
    "New joiners pair with someone for their first two weeks.",
    "The product owner joins planning for the first 15 minutes only.",
    "On-call engineers are exempt from stand-up during an incident.",
    "**Never** skip the canary stage for database migrations.",
    "Decisions that change this section are written up in the team channel first.",
    "See the runbook in the wiki for the steps; keep it in sync with this page.",
    "Bugs found in review are fixed in the same pull request, not in a follow-up.",
]
MESSAGES = [
    "",
    "Agreed in the retro",
    "After the billing incident",
    "Trying this for one quarter",
    "New joiners found this unclear",
    "",
    "Product owner asked for it",
    "Clarified after a question in stand-up",
    "",
    "Two incidents from rushed merges",
]
LIST_ITEMS = {
    "languages": ["Go", "Kotlin", "SQL"],
    "frameworks": ["Celery", "htmx", "FastAPI"],
    "data_stores": ["Kafka", "S3", "ClickHouse"],
    "monitoring": ["OpenTelemetry", "Loki", "PagerDuty"],
    "environments": ["qa", "preview", "staging-eu"],
    "default_reviewers": ["Lena Lindqvist", "Sam Okafor", "Priya Raman"],
}
TIME_ZONES = ["Europe/Berlin", "Europe/Lisbon", "Europe/Helsinki", "America/New_York"]


def seed_team() -> Seeded:
    """The team through ``team_create``, its lead who can sign in, and a few people."""
    from django.contrib.auth import get_user_model

    from practices import services
    from practices.models import Membership

    User = get_user_model()
    users = []
    for email, first, last, _role in PEOPLE:
        user = User(username=email, email=email, first_name=first, last_name=last)
        if email == LEAD_EMAIL:
            user.set_password(LEAD_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        users.append(user)
    team = services.team_create(
        user=users[0], name="Payments", slug=TEAM_SLUG, time_zone="Europe/Berlin"
    )
    for user, (_email, _first, _last, role) in zip(users[1:], PEOPLE[1:], strict=True):
        # Like load_demo: these people need no invitation email.
        Membership.objects.create(team=team, user=user, role=role)
    return Seeded(team_slug=team.slug, lead_email=LEAD_EMAIL, lead_password=LEAD_PASSWORD)


def seed_charter(seeded: Seeded, *, revisions: int) -> None:
    """``revisions`` saves through ``charter_section_update``, spread over the sections.

    Each save changes one field of the demo team's content for that section (as
    ``load_demo`` loads it), the way a lead's edit would, and only as the section's form
    allows; two saves in three are the signed-in lead's, the rest the other lead's. As
    ``load_demo`` does, ``created_at`` is moved back afterwards so that the history
    spans about two years; nothing else differs from what the service wrote.
    """
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.utils import timezone

    from practices import services
    from practices.charter.sections import SECTIONS
    from practices.management.commands.load_demo import CHANGES
    from practices.models import CharterRevision, CharterSection

    demo = {key: data for key, _days, _message, data in CHANGES}
    leads = list(
        get_user_model()
        .objects.filter(memberships__team__slug=seeded.team_slug, memberships__role="lead")
        .order_by("pk")
    )
    rng = random.Random(revisions)
    with transaction.atomic():
        sections = {
            section.key: section
            for section in CharterSection.objects.filter(team__slug=seeded.team_slug)
        }
        specs = [spec for spec in SECTIONS if spec.key in sections]
        # Some sections change far more often than others, as in a real team.
        weights = [rng.uniform(0.3, 3.0) for _ in specs]
        saved: list[CharterRevision] = []
        steps: dict[str, int] = {}
        for i in range(revisions):
            spec = rng.choices(specs, weights)[0]
            step = steps[spec.key] = steps.get(spec.key, 0) + 1
            section = sections[spec.key]
            base = spec.with_defaults(demo.get(spec.key, {}))
            revision = services.charter_section_update(
                section=section,
                data=_edited(spec, base, step, current=section.data),
                expected_version=section.version,
                author=leads[1 if i % 3 == 2 else 0],
                message=MESSAGES[i % len(MESSAGES)],
            )
            saved.append(revision)
        start = timezone.now() - timedelta(hours=17 * revisions)
        last_change = {}
        for i, revision in enumerate(saved):
            revision.created_at = start + timedelta(hours=17 * i, minutes=rng.randrange(600))
            last_change[revision.section_id] = revision.created_at
        CharterRevision.objects.bulk_update(saved, ["created_at"], batch_size=500)
        for section_id, when in last_change.items():
            CharterSection.objects.filter(pk=section_id).update(updated_at=when)
    seeded.figures["revisions"] = CharterRevision.objects.filter(
        team__slug=seeded.team_slug
    ).count()


def _edited(spec, base: dict, step: int, *, current: dict) -> dict:
    """``base`` with one field changed (a different one each step), still valid for the form.

    Never what the section holds already: the service refuses a save that changes nothing.
    """
    names = [*spec.content_fields(), *(["rows"] if spec.row_form_class else [])]
    for offset in range(len(names)):
        name = names[(step + offset) % len(names)]
        data = {**base, name: _changed_value(spec, name, base.get(name), step)}
        if data != current and _valid(spec, data):
            return data
    raise BenchError(f"found no valid edit of the {spec.key} section")


def _changed_value(spec, name: str, value, step: int):
    from django import forms

    from practices.charter.fields import ListField, MarkdownField

    note_text = NOTES[step % len(NOTES)]
    if name == "rows":
        rows = [dict(row) for row in value or []]
        if rows and step % 4:
            row = rows[step % len(rows)]
            last_text = [k for k, v in row.items() if isinstance(v, str) and k != "target_date"]
            row[last_text[-1]] = f"{row[last_text[-1]]} {note_text}"[:120]
            return rows
        return [*rows, _new_row(spec, step)]
    form_field = spec.content_fields()[name]
    if isinstance(form_field, forms.BooleanField):
        return not value
    if isinstance(form_field, forms.IntegerField):
        low = max(form_field.min_value or 0, 1)
        high = form_field.max_value or low + 10
        return low + step % min(high - low + 1, 12)
    if isinstance(form_field, forms.ChoiceField):
        choices = [choice for choice, _label in form_field.choices]
        return choices[step % len(choices)]
    if isinstance(form_field, ListField):
        pool = LIST_ITEMS.get(name, ["Other"])
        item = pool[step % len(pool)]
        items = list(value or [])
        return [x for x in items if x != item] if item in items else [*items, item]
    if isinstance(form_field, forms.TimeField):
        return f"{9 + step % 8:02d}:{step * 15 % 60:02d}"
    if isinstance(form_field, MarkdownField):
        return f"{value}\n\n{note_text}" if value else note_text
    if name == "time_zone":
        return TIME_ZONES[step % len(TIME_ZONES)]
    return f"{value or ''} ({step})".strip()


def _new_row(spec, step: int) -> dict:
    from django import forms

    row = {}
    for name, row_field in spec.row_form_class.base_fields.items():
        if isinstance(row_field, forms.DateField):
            row[name] = f"2027-{1 + step % 12:02d}-{1 + step % 28:02d}"
        elif isinstance(row_field, forms.BooleanField):
            row[name] = bool(step % 2)
        else:
            row[name] = f"{row_field.label} {step}"
    return row


def _valid(spec, data: dict) -> bool:
    """Whether the section's own forms would accept ``data`` (seeded data stays realistic)."""

    def as_posted(value) -> str:
        if isinstance(value, list):
            return ", ".join(value)
        if isinstance(value, bool):
            return "on" if value else ""
        return "" if value is None else str(value)

    fields = {name: as_posted(data.get(name)) for name in spec.content_fields()}
    if not spec.form_class(data={"version": "0", **fields}).is_valid():
        return False
    if spec.row_form_class is None:
        return True
    return all(
        spec.row_form_class(data={k: as_posted(v) for k, v in row.items()}).is_valid()
        for row in data.get("rows") or []
    )


def seed_charter_1000(seeded: Seeded) -> None:
    seed_charter(seeded, revisions=1000)


PROPOSALS = 5000  # in the team, the big one included
BIG_OPTIONS, BIG_VOTES, BIG_COMMENTS = 8, 60, 200
TITLES = [
    "Move sessions to Redis",
    "Adopt trunk-based development",
    "Split the billing worker",
    "Replace the cron box with Celery beat",
    "Use feature flags for every rollout",
    "Drop Python 3.9 support",
    "Shorter iterations for the payments squad",
    "Contract tests between ledger and payouts",
]


def seed_proposals(seeded: Seeded) -> None:
    """The proposal page at its large size and a long list.

    One open proposal is made through the services the views call: 8 options, a vote
    from each of 60 members, 200 comments (one in four a reply). The other 4,999 are
    bulk-inserted with two options each, in every status, the way the list test does.
    """
    import datetime as dt

    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from practices.models import Membership, Team
    from proposals.models import Option, Proposal, Status
    from proposals.services import proposals as services

    User = get_user_model()
    team = Team.objects.get(slug=seeded.team_slug)
    lead = User.objects.get(email=seeded.lead_email)
    voters = User.objects.bulk_create(
        User(username=f"voter{i}@bench.test", email=f"voter{i}@bench.test", password="!")
        for i in range(BIG_VOTES)
    )
    Membership.objects.bulk_create(
        Membership(team=team, user=user, role="member") for user in voters
    )
    big = services.proposal_create(
        team=team,
        author=lead,
        driver=lead,
        approver=lead,
        title="Pick the message broker for the ledger events",
        due_at=timezone.now() + dt.timedelta(days=7),
        background=NOTES[0] + "\n\n" + NOTES[6],
        options=[
            services.OptionInput(
                title=f"Broker {i + 1}",
                description=NOTES[i % len(NOTES)],
                pros="Managed; the team knows it.",
                cons="Cost grows with traffic.",
                cost=f"{i + 2} weeks",
            )
            for i in range(BIG_OPTIONS)
        ],
    )
    services.proposal_open(proposal=big, actor=lead)
    option_ids = list(big.options.values_list("pk", flat=True))
    # A preference each, or none; every other voter objects to another option, and
    # one in eight blocks it: the tally lists every objection with its reason.
    for i, voter in enumerate(voters):
        preferred = option_ids[i % len(option_ids)] if i % 4 != 2 else None
        other = option_ids[(i + 1) % len(option_ids)]
        objections = []
        if i % 2:
            kind = "block" if i % 8 == 7 else "disagree"
            objections.append(services.ObjectionInput(other, kind, "It adds an on-call burden."))
        services.proposal_vote_cast(
            proposal=big, voter=voter, option_id=preferred, objections=objections
        )
    parents = []
    for i in range(BIG_COMMENTS):
        parent = parents[-1] if i % 4 == 3 else None
        comment = services.comment_add(
            proposal=big,
            author=voters[i % len(voters)],
            body=NOTES[i % len(NOTES)],
            parent_id=parent,
        )
        if parent is None:
            parents.append(comment.pk)
    now = timezone.now()
    statuses = [Status.DECIDED, Status.OPEN, Status.DRAFT, Status.DECLINED, Status.WITHDRAWN]
    rest = Proposal.objects.bulk_create(
        Proposal(
            team=team,
            number=big.number + 1 + i,
            title=f"{TITLES[i % len(TITLES)]} ({i + 1})",
            status=statuses[i % len(statuses)],
            driver=voters[i % len(voters)],
            approver=lead,
            created_by=voters[i % len(voters)],
            due_at=now + dt.timedelta(days=i % 30 - 15),
            background=NOTES[i % len(NOTES)],
            rationale=NOTES[(i + 3) % len(NOTES)] if i % len(statuses) == 0 else "",
            decided_by=lead if i % len(statuses) == 0 else None,
            decided_at=now - dt.timedelta(hours=i) if i % len(statuses) == 0 else None,
        )
        for i in range(PROPOSALS - 1)
    )
    Option.objects.bulk_create(
        Option(proposal=proposal, position=position, title=f"Option {'AB'[position]}")
        for proposal in rest
        for position in range(2)
    )
    seeded.figures.update(
        {
            "big_proposal": big.number,
            "proposals": PROPOSALS,
            "big_proposal_options": BIG_OPTIONS,
            "big_proposal_votes": big.votes.count(),
            "big_proposal_comments": big.comments.count(),
        }
    )


# (area, seeder) pairs, run in order after seed_team; each is timed as seed_<area>_s.
SEEDERS: list[tuple[str, Callable[[Seeded], None]]] = [
    ("charter", seed_charter_1000),
    ("proposals", seed_proposals),
]


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


# -- gunicorn -------------------------------------------------------------------------


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
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
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


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest sample with ``pct``% of samples at or below it."""
    ordered = sorted(samples)
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


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


def run(args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    # Other busy processes widen every p95 alike, which pulls the ratios towards 1 and can
    # hide a slow page: a load near the number of CPUs means the run is not to be trusted.
    load_before = f"{os.getloadavg()[0]:.2f}"
    production_like(workdir)
    with bench_database(workdir, keep=args.keep_db) as (vendor, url):
        os.environ["DATABASE_URL"] = url
        os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
        import django
        from django.conf import settings
        from django.core.management import call_command

        django.setup()
        note(f"migrating a fresh {vendor} database")
        call_command("migrate", interactive=False, verbosity=0)
        if not settings.DEBUG:
            call_command("collectstatic", interactive=False, verbosity=0)
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
