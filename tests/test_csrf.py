import pytest
from django.test import Client
from django.urls import reverse

from tests.test_permissions import MATRIX, resolved, snapshot, world  # noqa: F401 (fixture)

# The one-click unsubscribes of RFC 8058 are posted by mail clients, which have no token;
# they need none, as each only turns one kind of email off for the signed token's owner.
CSRF_EXEMPT = {"reminder_unsubscribe", "proposals:outcome_unsubscribe"}
POSTS = [
    (name, row)
    for name, rows in MATRIX.items()
    for row in rows
    if row.method == "post" and name not in CSRF_EXEMPT
]
ANONYMOUS_FORMS = [
    ("login", {"username": "lead@example.com", "password": "x"}),
    ("password_reset", {"email": "lead@example.com"}),
]


@pytest.mark.parametrize(("name", "row"), POSTS, ids=[name for name, _ in POSTS])
def test_every_form_refuses_a_post_without_a_csrf_token(world, name, row):  # noqa: F811
    people = world
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.lead)
    args, data = resolved(row, people)
    before = snapshot()
    response = client.post(reverse(name, args=args), data)
    assert response.status_code == 403
    assert snapshot() == before


@pytest.mark.parametrize(("name", "data"), ANONYMOUS_FORMS)
def test_sign_in_forms_refuse_a_post_without_a_csrf_token(people, name, data):
    response = Client(enforce_csrf_checks=True).post(reverse(name), data)
    assert response.status_code == 403


def test_htmx_requests_carry_the_token_from_the_body(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.lead)
    page = client.get(reverse("practices:charter", args=["pay"]))
    token = page.text.split('"X-CSRFToken": "', 1)[1].split('"', 1)[0]
    response = client.post(
        reverse("practices:charter_section_edit", args=["pay", "retros"]),
        {"version": "0"},
        HTTP_HX_REQUEST="true",
        HTTP_X_CSRFTOKEN=token,
    )
    assert response.status_code == 200
