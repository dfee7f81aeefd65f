"""A reminder resent after a crash is the same message: same Message-ID, sooner than 10 min."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail

from practices.models import (
    Reminder,
    ReminderDelivery,
    ReminderPreference,
    ReminderProfile,
    ReminderState,
)
from practices.reminders import delivery, tasks
from practices.reminders.planner import reminder_plan
from proposals import tasks as proposal_tasks
from proposals.services import proposals as proposal_services
from tests.proposals.factories import make_proposal
from tests.reminders.conftest import UTC
from tests.reminders.helpers import make_retro, run_planner

pytestmark = pytest.mark.django_db


class Crash(BaseException):
    """The worker dies: nothing after this line runs, no except clause catches it."""


def crash_after_the_server_took_it(monkeypatch):
    def die(*, token):
        raise Crash

    monkeypatch.setattr(delivery, "_mark_sent", die)


def message_ids(to: str) -> list[str]:
    return [m.message()["Message-ID"] for m in mail.outbox if m.to == [to]]


def test_a_reminder_resent_after_a_crash_carries_the_same_message_id(people, clock, monkeypatch):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    start = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    clock.at(start)
    crash_after_the_server_took_it(monkeypatch)
    with pytest.raises(Crash):
        run_planner()  # the first send reaches the mail server, then the worker dies
    monkeypatch.undo()
    crashed = Reminder.objects.get(claimed_at__isnull=False)
    assert crashed.state == ReminderState.PENDING
    to = crashed.user.email
    run_planner()  # the others go out; the crashed claim is still trusted
    assert len(message_ids(to)) == 1

    # Back well before the old 10 minutes: the claim outlived the send's hard time limit.
    clock.at(start + dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
    run_planner()
    first, second = message_ids(to)
    assert first == second
    assert first.startswith(f"<reminder-{crashed.pk}-") and first.endswith("@127.0.0.1>")
    assert len({m.message()["Message-ID"] for m in mail.outbox}) == 3  # one per person


def test_a_claim_comes_back_after_the_send_time_limit_and_no_sooner():
    limit = tasks.send_reminder.time_limit
    assert limit == tasks.send_reminder_digest.time_limit == tasks.REMINDER_SEND_TIME_LIMIT
    assert limit < settings.REMINDER_CLAIM_TIMEOUT <= limit + 60
    assert settings.REMINDER_CLAIM_TIMEOUT < 10 * 60


def test_a_digest_resent_after_a_crash_carries_the_same_message_id(people, clock, monkeypatch):
    for kind in ("retro", "votes_due"):
        ReminderPreference.objects.create(
            user=people.senior, kind=kind, delivery=ReminderDelivery.DIGEST
        )
    ReminderProfile.objects.create(user=people.senior, time_zone="UTC", digest_hour=8)
    clock.at(dt.datetime(2026, 3, 3, 7, 0, tzinfo=UTC))
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=1)
    reminder_plan()
    start = dt.datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    clock.at(start)
    assert reminder_plan().digest_user_ids == [people.senior.pk]
    crash_after_the_server_took_it(monkeypatch)
    with pytest.raises(Crash):
        delivery.reminder_digest_send(user_id=people.senior.pk)
    monkeypatch.undo()
    clock.at(start + dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT + 1))
    run_planner()
    first, second = message_ids(people.senior.email)
    assert first == second and first.startswith("<digest-")


def test_mention_emails_keep_their_message_id_when_sent_again_and_differ_per_person(people):
    proposal = make_proposal(people.team, people.member, open_it=True)
    comment = proposal_services.comment_add(
        proposal=proposal, author=people.member, body="@senior and @lead, please look"
    )
    proposal_tasks.notify_mentions(comment.pk)
    # A send that failed halfway releases the stamp; the retry mails everyone again.
    type(comment).objects.filter(pk=comment.pk).update(mentions_notified_at=None)
    proposal_tasks.notify_mentions(comment.pk)
    senior, lead = message_ids(people.senior.email), message_ids(people.lead.email)
    assert len(senior) == len(lead) == 2
    assert senior[0] == senior[1] and lead[0] == lead[1] and senior[0] != lead[0]


def test_an_approver_asked_again_after_a_reopen_gets_a_new_message(people):
    proposal = make_proposal(people.team, people.member, approver=people.lead, open_it=True)
    proposal_services.proposal_close_early(proposal=proposal, actor=people.member)
    proposal_tasks.notify_approver_to_decide(proposal.pk)
    proposal.refresh_from_db()
    proposal_services.proposal_reopen(
        proposal=proposal, actor=people.member, due_at=proposal.due_at + dt.timedelta(days=1)
    )
    proposal_services.proposal_close_early(proposal=proposal, actor=people.member)
    proposal_tasks.notify_approver_to_decide(proposal.pk)
    first, second = message_ids(people.lead.email)
    assert first != second
