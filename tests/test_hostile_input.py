"""Hostile values in every field of every form: never a 500, now or for the next visitor.

Walks the URLs of the authorization matrix (``tests/test_permissions.py``) that accept a
POST, finds the fields of the forms that post to each one on the world's pages, and
posts NUL bytes, invalid UTF-8, 1 MB values and far dates into each field in turn. Run
it on PostgreSQL too: it refuses NUL in text and years past 9999 where SQLite does not.
"""

import re
from urllib.parse import urlencode, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

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
def test_hostile_values_in_every_field_never_answer_500(world, name, index):
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
def test_hostile_values_in_the_sign_in_forms_never_answer_500(world, name):
    data = ANONYMOUS_FORMS[name]
    gets = _get_requests(world)
    for field in data:
        for label, payload in PAYLOADS.items():
            response = _post(Client(), reverse(name), {**data, field: payload}, {})
            assert response.status_code < 500, f"{name}: {field}={label}"
    _assert_pages_serve(world, gets)
