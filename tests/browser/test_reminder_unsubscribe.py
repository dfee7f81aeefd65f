"""The unsubscribe link of a reminder email, opened in a browser that is not signed in."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.utils import timezone
from playwright.sync_api import expect

from practices.models import ReminderDelivery, ReminderPreference
from tests.reminders.helpers import make_retro, run_planner

pytestmark = [
    pytest.mark.browser,
    pytest.mark.filterwarnings("ignore:No directory at:UserWarning"),
]


@pytest.fixture
def reminder_email(people, live_server, settings) -> EmailMessage:
    """The retro reminder that the planner sends the member for a retro tomorrow."""
    # Links in emails are built from the configured site URL: here, the live server.
    settings.SITE_URL = live_server.url
    make_retro(people.team, starts_at=timezone.now() + dt.timedelta(days=1))
    run_planner()
    return next(m for m in mail.outbox if m.to == [people.member.email])


def test_a_member_unsubscribes_from_retro_reminders_with_the_emails_link_without_signing_in(
    reminder_email, people, page, settings, browser_problems
):
    link = re.search(
        r"^Unsubscribe from retro reminders: (\S+)$", reminder_email.body, re.MULTILINE
    )[1]
    assert reminder_email.extra_headers["List-Unsubscribe"] == f"<{link}>"

    page.goto(link)
    expect(page.get_by_role("heading", level=1)).to_have_text("Unsubscribe?")
    expect(
        page.get_by_text("Stop emails for retro reminders to member@example.com.")
    ).to_be_visible()
    assert not ReminderPreference.objects.filter(user=people.member).exists()

    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You are unsubscribed")
    assert settings.SESSION_COOKIE_NAME not in {c["name"] for c in page.context.cookies()}
    preference = ReminderPreference.objects.get(user=people.member)
    assert (preference.kind, preference.delivery) == ("retro", ReminderDelivery.OFF)
    assert browser_problems == []


def test_a_forged_unsubscribe_link_shows_a_clear_error_and_changes_nothing(
    reminder_email, page, browser_problems
):
    link = reminder_email.extra_headers["List-Unsubscribe"].strip("<>")
    head, token, _ = link.rsplit("/", 2)
    # The signature's last two characters changed, as a forger guessing would.
    forged = f"{head}/{token[:-2]}{'xx' if token[-2:] != 'xx' else 'yy'}/"

    response = page.goto(forged)
    assert response.status == 400
    expect(page.get_by_role("heading", level=1)).to_have_text("This unsubscribe link does not work")
    expect(page.get_by_role("button", name="Unsubscribe")).to_have_count(0)
    assert not ReminderPreference.objects.exists()
    # Chromium reports the 400 itself on the console; nothing else may go wrong.
    assert browser_problems == [
        f"console error on {forged}: "
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
