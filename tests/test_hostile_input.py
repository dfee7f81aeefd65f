"""Hostile values in every field of every form: never a 500, now or for the next visitor.

Walks the URLs of the authorization matrix (``tests/test_permissions.py``) that accept a
POST, finds the fields of the forms that post to each one on the world's pages, and
posts NUL bytes, invalid UTF-8, 1 MB values and far dates into each field in turn. Run
it on PostgreSQL too: it refuses NUL in text and years past 9999 where SQLite does not.
"""

import datetime as dt
import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client, RequestFactory
from django.urls import reverse
from icalendar import Calendar

from practices.models import CharterSection, TeamCalendar
from practices.teams.forms import AXES_USERNAME_MAX, sign_in_username
from proposals.models import Proposal
from tests.proposals.factories import make_proposal
from tests.proposals.test_proposal_views import create_post
from tests.test_permissions import MATRIX, ROLES, resolved, world  # noqa: F401 (fixture)

PAYLOADS = {
    "nul": "a\x00b",
    "invalid_utf8": b"\xff\xfe\xc3(",
    "one_megabyte": "x" * 1_000_000,
    "far_date": "9999-12-31",
    "far_datetime": "9999-12-31T23:30",
    "first_datetime": "0001-01-01T00:30",
}
ACTING = ("lead", "member")  # who posts: the first of these the row lets in
FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.DOTALL)
TARGET = re.compile(r'\b(?:action|hx-post)="([^"]*)"')
NAME = re.compile(r'\bname="([^"]+)"')
SKIPPED_NAMES = {"csrfmiddlewaretoken"}

POSTS = [
    (name, index)
    for name, rows in MATRIX.items()
    for index, row in enumerate(rows)
    if row.method == "post"
    and any(row.expected[role] not in (403, 404, 405, "login") for role in ACTING)
]
GETS = [(name, row) for name, rows in MATRIX.items() for row in rows if row.method == "get"]


def _acting_role(row) -> str:
    return next(role for role in ACTING if row.expected[role] not in (403, 404, 405, "login"))


def _pages(client, requests) -> list[tuple[str, str]]:
    """(address, HTML) of every page of the world this client may see."""
    pages = []
    for url, data, headers in requests:
        response = client.get(url, data, **headers)
        if response.status_code == 200 and "html" in response.get("Content-Type", ""):
            pages.append((url, response.content.decode()))
    return pages


def _field_names(pages, url: str) -> set[str]:
    """The names of the fields of every form that posts to ``url``."""
    names = set()
    for page_url, html in pages:
        for attrs, body in FORM.findall(html):
            target = TARGET.search(attrs)
            address = urlsplit(target.group(1)).path if target and target.group(1) else page_url
            if address == url:
                names |= set(NAME.findall(body))
    return names - SKIPPED_NAMES


def _post(client, url: str, data: dict, headers: dict):
    body = urlencode(data, doseq=True)
    return client.generic(
        "POST", url, body, content_type="application/x-www-form-urlencoded", **headers
    )


def _get_requests(people) -> list[tuple[str, dict, dict]]:
    """Every GET of the matrix, resolved before hostile posts add or remove rows."""
    requests = []
    for name, row in GETS:
        args, data = resolved(row, people)
        requests.append((reverse(name, args=args), data, row.headers))
    return requests


def _assert_pages_serve(people, requests) -> None:
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(getattr(people, role))
        for url, data, headers in requests:
            response = client.get(url, data, **headers)
            assert response.status_code < 500, f"{role} GET {url} after hostile posts"


@pytest.mark.parametrize(("name", "index"), POSTS, ids=[f"{n}-{i}" for n, i in POSTS])
def test_hostile_values_in_every_field_never_answer_500(world, name, index):  # noqa: F811
    people = world
    row = MATRIX[name][index]
    client = Client()
    client.force_login(getattr(people, _acting_role(row)))
    args, data = resolved(row, people)
    url = reverse(name, args=args)
    gets = _get_requests(people)
    # A form without fields (sign out, sync now…) still gets a hostile one.
    fields = set(data) | _field_names(_pages(client, gets), url) or {"x"}
    for field in sorted(fields):
        for label, payload in PAYLOADS.items():
            response = _post(client, url, {**data, field: payload}, row.headers)
            assert response.status_code < 500, f"{name}: {field}={label}"
    _assert_pages_serve(people, gets)


ANONYMOUS_FORMS = {
    "login": {"username": "lead@example.com", "password": "wrong"},
    "password_reset": {"email": "lead@example.com"},
}


@pytest.mark.parametrize("name", sorted(ANONYMOUS_FORMS))
def test_hostile_values_in_the_sign_in_forms_never_answer_500(world, name):  # noqa: F811
    data = ANONYMOUS_FORMS[name]
    gets = _get_requests(world)
    for field in data:
        for label, payload in PAYLOADS.items():
            response = _post(Client(), reverse(name), {**data, field: payload}, {})
            assert response.status_code < 500, f"{name}: {field}={label}"
    _assert_pages_serve(world, gets)


# -- the 500s of issue 11 #3, one by one ---------------------------------------------------


def test_a_calendar_address_with_a_nul_byte_is_404(world):  # noqa: F811
    token = TeamCalendar.objects.get(team=world.team).token
    response = Client().get(reverse("team_calendar_feed", args=[token]).replace(".ics", "%00.ics"))
    assert response.status_code == 404


@pytest.mark.parametrize("email", ["a" * 300 + "@example.com", "x" * 1_000_000, "lead@\x00x.com"])
def test_a_hostile_email_on_the_sign_in_form_is_refused_next_to_the_field(people, email):
    response = Client().post(reverse("login"), {"username": email, "password": "wrong"})
    assert response.status_code == 200
    assert re.search(r'<ul class="errorlist" id="id_username_error">', response.text)


def test_the_lockout_counts_a_hostile_address_within_what_axes_stores(people):
    request = RequestFactory().post(reverse("login"), {"username": "A\x00" * 200_000})
    counted = sign_in_username(request, None)
    assert counted == "a" * AXES_USERNAME_MAX


def test_a_proposal_due_in_year_9999_west_of_utc_is_refused(people, client_for):
    # 9999-12-31 23:59 in San Francisco is year 10000 in UTC: no database keeps it whole.
    people.team.time_zone = "America/Los_Angeles"
    people.team.save()
    response = client_for(people.member).post(
        reverse("proposals:create", args=["pay"]),
        create_post(people.lead, due_date="9999-12-31", due_time="23:59"),
    )
    assert response.status_code == 200
    assert "ten years out" in response.text
    assert not Proposal.objects.exists()


def test_a_milestone_stored_in_9999_does_not_break_the_calendar_feed(world):  # noqa: F811
    section = CharterSection.objects.get(team=world.team, key="milestones")
    section.data = {"rows": [
        {"name": "Heat death", "target_date": "9999-12-31", "deliverable": "", "done": False},
        {"name": "GA", "target_date": "2027-03-01", "deliverable": "", "done": False},
    ]}  # fmt: skip
    section.save()
    token = TeamCalendar.objects.get(team=world.team).token
    response = Client().get(reverse("team_calendar_feed", args=[token]))
    assert response.status_code == 200
    summaries = {str(e["summary"]) for e in Calendar.from_ical(response.content).walk("VEVENT")}
    assert "[PAY] Milestone: GA" in summaries
    assert "[PAY] Milestone: Heat death" not in summaries


def _migrate_around(app: str, suffix: str):
    """(before, after): the migration named ``…_suffix`` of ``app`` and its parent."""
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    (mine,) = [key for key in graph.nodes if key[0] == app and key[1].endswith(suffix)]
    (parent,) = [p.key for p in graph.node_map[mine].parents if p.key[0] == app]
    return parent, mine


def test_a_due_date_stored_past_year_9999_is_brought_back_and_kept_out(
    people, client_for, on_postgres
):
    if not on_postgres:
        pytest.skip("only PostgreSQL keeps a timestamp past year 9999")
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    before, after = _migrate_around("proposals", "_dates_readable_due_at")
    with connection.cursor() as cursor:
        # The test's transaction holds deferred foreign key checks; ALTER TABLE needs none.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    MigrationExecutor(connection).migrate([before])
    # What the unchecked form stored for 9999-12-31 23:59 in San Francisco.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE proposals_proposal SET due_at = '10000-01-01 07:59+00' WHERE id = %s",
            [proposal.pk],
        )
    MigrationExecutor(connection).migrate([after])
    client = client_for(people.member)
    assert client.get(reverse("proposals:list", args=["pay"])).status_code == 200
    detail = client.get(reverse("proposals:detail", args=["pay", proposal.number]))
    assert detail.status_code == 200
    far = dt.datetime(9999, 12, 31, 23, 0, tzinfo=dt.UTC)
    with pytest.raises(IntegrityError), transaction.atomic():
        Proposal.objects.filter(pk=proposal.pk).update(due_at=far)
