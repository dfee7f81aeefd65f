"""The one-click unsubscribe: no sign-in, a confirm page, RFC 8058 POST, forged refused."""

import datetime as dt

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from practices.models import ReminderDelivery, ReminderPreference
from practices.reminders.preferences import unsubscribe_token_make
from tests.reminders.helpers import make_retro, run_planner

UTC = dt.UTC


def _link_from_email(people, clock) -> str:
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    message = next(m for m in mail.outbox if m.to == ["member@example.com"])
    return (
        message.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://127.0.0.1:8000")
    )


def test_the_emails_link_shows_a_confirm_page_without_signing_in(people, clock):
    path = _link_from_email(people, clock)
    response = Client().get(path)
    assert response.status_code == 200
    assert b"Stop emails for <strong>retro reminders</strong>" in response.content
    assert b'<form method="post">' in response.content
    assert not ReminderPreference.objects.exists()


def test_confirming_turns_the_kind_off_and_later_retros_are_not_emailed(people, clock):
    path = _link_from_email(people, clock)
    response = Client(enforce_csrf_checks=True).post(path)
    assert response.status_code == 200
    assert b"You are unsubscribed" in response.content
    preference = ReminderPreference.objects.get(user=people.member)
    assert (preference.kind, preference.delivery) == ("retro", ReminderDelivery.OFF)

    mail.outbox.clear()
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 19, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 17, 9, 0, tzinfo=UTC))
    run_planner()
    assert "member@example.com" not in [m.to[0] for m in mail.outbox]
    assert len(mail.outbox) == 2


def test_the_rfc_8058_one_click_post_works_without_a_csrf_token(people, clock):
    path = _link_from_email(people, clock)
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert ReminderPreference.objects.get(user=people.member).delivery == ReminderDelivery.OFF


def test_other_forms_still_need_their_csrf_token(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people.member)
    assert client.post(reverse("notifications"), {}).status_code == 403


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        unsubscribe_token_make(user_id=1, kind="retro")[:-2] + "xx",  # signature changed
    ],
)
def test_a_forged_or_broken_token_is_refused_with_a_clear_page(people, token):
    for method in ("get", "post"):
        response = getattr(Client(), method)(reverse("reminder_unsubscribe", args=[token]))
        assert response.status_code == 400
        assert b"This unsubscribe link does not work" in response.content
    assert not ReminderPreference.objects.exists()


def test_a_token_for_another_person_cannot_be_made_by_editing_it(people):
    import base64
    import json

    token = unsubscribe_token_make(user_id=people.member.pk, kind="retro")
    _payload, rest = token.split(":", 1)
    other = (
        base64.urlsafe_b64encode(
            json.dumps({"u": people.lead.pk, "k": "retro"}, separators=(",", ":")).encode()
        )
        .decode()
        .rstrip("=")
    )
    response = Client().post(reverse("reminder_unsubscribe", args=[f"{other}:{rest}"]))
    assert response.status_code == 400
    assert not ReminderPreference.objects.exists()


def test_unsubscribing_from_the_digest_turns_off_what_it_bundles(people):
    for kind in ("retro", "votes_due"):
        ReminderPreference.objects.create(
            user=people.member, kind=kind, delivery=ReminderDelivery.DIGEST
        )
    token = unsubscribe_token_make(user_id=people.member.pk, kind="digest")
    assert Client().post(reverse("reminder_unsubscribe", args=[token])).status_code == 200
    assert set(
        ReminderPreference.objects.filter(user=people.member).values_list("kind", "delivery")
    ) == {("retro", "off"), ("votes_due", "off")}


def test_the_unsubscribe_address_refuses_other_methods(people):
    token = unsubscribe_token_make(user_id=people.member.pk, kind="retro")
    assert Client().put(reverse("reminder_unsubscribe", args=[token])).status_code == 405
