"""The planner: who gets what when, once per person and occasion, whatever runs twice."""

import datetime as dt
import email
import smtplib
from email import policy
from unittest import mock

import icalendar
import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from practices.models import (
    ActionItemStatus,
    Reminder,
    ReminderDelivery,
    ReminderPreference,
    ReminderProfile,
    ReminderState,
    ReminderTeamSettings,
    RetroActionItem,
)
from practices.reminders import tasks
from practices.reminders.planner import reminder_plan
from tests.factories import UserFactory, add_member, make_team
from tests.proposals.factories import make_proposal
from tests.reminders.helpers import make_retro, run_planner, sent_to

UTC = dt.UTC
MEMBERS = ["lead@example.com", "member@example.com", "senior@example.com"]


def test_a_retro_reminder_goes_to_every_member_once_at_the_teams_setting(people, clock):
    retro = make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 2, 13, 59, tzinfo=UTC))  # 3 days before is 14:00 UTC
    run_planner()
    assert mail.outbox == []

    clock.at(dt.datetime(2026, 3, 2, 14, 0, tzinfo=UTC))
    run_planner()
    assert sent_to() == MEMBERS  # leads and members; observers are not reminded
    assert {m.subject for m in mail.outbox} == {"[PAY] Retro on Thu 5 Mar — add your cards"}
    assert Reminder.objects.filter(object_id=retro.pk, state=ReminderState.SENT).count() == 3


def test_a_second_planner_run_sends_nothing_more(people, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    assert len(mail.outbox) == 3
    for minutes in (0, 2, 30, 24 * 60):
        clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC) + dt.timedelta(minutes=minutes))
        assert run_planner() == []
    assert len(mail.outbox) == 3


def test_two_planners_at_once_insert_and_queue_each_reminder_once(people, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    first, second = reminder_plan(), reminder_plan()
    assert len(first.send_ids) == 3
    assert second.send_ids == []
    assert Reminder.objects.count() == 3


def test_a_send_task_delivered_twice_sends_one_email(people, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    plan = reminder_plan()
    for pk in plan.send_ids:
        assert tasks.send_reminder(pk) is True
        assert tasks.send_reminder(pk) is False
    assert sent_to() == MEMBERS


def test_a_claim_left_by_a_crashed_worker_is_retried_after_the_timeout(people, clock, settings):
    settings.REMINDER_CLAIM_TIMEOUT = 600
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    start = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    clock.at(start)
    plan = reminder_plan()
    # A worker claimed the first one and died before sending.
    crashed = plan.send_ids[0]
    Reminder.objects.filter(pk=crashed).update(claimed_at=start, claim_token="dead", attempts=1)
    for pk in plan.send_ids[1:]:
        tasks.send_reminder(pk)
    assert len(mail.outbox) == 2
    assert tasks.send_reminder(crashed) is False  # a live claim is respected

    clock.at(start + dt.timedelta(minutes=9))
    assert run_planner() == []
    clock.at(start + dt.timedelta(minutes=11))
    assert run_planner() == [crashed]
    assert sent_to() == MEMBERS
    assert Reminder.objects.get(pk=crashed).attempts == 2


def test_a_mail_server_failure_is_retried_with_backoff(people, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    start = dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
    clock.at(start)
    failing = mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=smtplib.SMTPServerDisconnected("gone"),
    )
    with failing:
        run_planner()
    assert mail.outbox == []
    row = Reminder.objects.first()
    assert row.state == ReminderState.PENDING
    assert row.attempts == 1
    assert row.claimed_at is None
    assert "SMTPServerDisconnected" in row.last_error
    assert start + dt.timedelta(seconds=90) <= row.next_attempt_at
    assert row.next_attempt_at <= start + dt.timedelta(seconds=150)

    clock.at(start + dt.timedelta(minutes=1))
    assert run_planner() == []  # backing off
    clock.at(start + dt.timedelta(minutes=3))
    run_planner()
    assert sent_to() == MEMBERS


def test_a_reminder_that_keeps_failing_is_given_up_after_the_last_attempt(people, clock):
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 9, 14, 0, tzinfo=UTC))
    moment = dt.datetime(2026, 3, 6, 14, 0, tzinfo=UTC)
    with mock.patch(
        "django.core.mail.backends.locmem.EmailBackend.send_messages",
        side_effect=ConnectionRefusedError,
    ):
        for _ in range(8):
            clock.at(moment)
            run_planner()
            moment += dt.timedelta(hours=7)
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.FAILED}


def test_a_person_who_turned_a_kind_off_gets_nothing_and_it_is_recorded(people, clock):
    ReminderPreference.objects.create(
        user=people.member, kind="retro", delivery=ReminderDelivery.OFF
    )
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    assert sent_to() == ["lead@example.com", "senior@example.com"]
    assert Reminder.objects.get(user=people.member).state == ReminderState.SKIPPED


def test_digest_reminders_wait_for_the_persons_digest_hour_and_come_in_one_email(people, clock):
    for kind in ("retro", "votes_due"):
        ReminderPreference.objects.create(
            user=people.senior, kind=kind, delivery=ReminderDelivery.DIGEST
        )
    # 07:00 in New York is 12:00 UTC (before the US daylight-saving change on 8 March).
    ReminderProfile.objects.create(user=people.senior, time_zone="America/New_York", digest_hour=7)
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    make_proposal(people.team, people.member, approver=people.lead, open_it=True, days=1)
    run_planner()
    assert "senior@example.com" not in sent_to()

    clock.at(dt.datetime(2026, 3, 3, 11, 59, tzinfo=UTC))
    run_planner()
    assert "senior@example.com" not in sent_to()
    clock.at(dt.datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    run_planner()
    run_planner()
    digests = [m for m in mail.outbox if m.to == ["senior@example.com"]]
    assert len(digests) == 1
    assert digests[0].subject == "Your Teamlead digest: 2 reminders"
    body = digests[0].body
    assert "Retro on Thu 5 Mar" in body
    assert "Your vote on DACI-1 is due" in body
    assert [a[0] for a in digests[0].attachments] == ["retro.ics"]


def test_the_retro_reminder_keeps_its_local_time_across_a_daylight_saving_change(people, clock):
    # Berlin moves its clocks on Sunday 29 March 2026. The retro is Thu 2 April, 15:00
    # local (13:00 UTC); a week before is Thu 26 March 15:00 local, which is 14:00 UTC.
    ReminderTeamSettings.objects.create(team=people.team, retro_days_before=7)
    make_retro(people.team, starts_at=dt.datetime(2026, 4, 2, 13, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 26, 13, 59, tzinfo=UTC))
    run_planner()
    assert mail.outbox == []
    clock.at(dt.datetime(2026, 3, 26, 14, 0, tzinfo=UTC))
    run_planner()
    assert sent_to() == MEMBERS
    assert "15:00 (CEST, Europe/Berlin)" in mail.outbox[0].body


def test_the_retro_date_is_shown_in_each_persons_time_zone(people, clock):
    # 00:30 on Friday in Berlin is still Thursday evening in New York.
    ReminderProfile.objects.create(user=people.member, time_zone="America/New_York")
    make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 23, 30, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["member@example.com"] == "[PAY] Retro on Thu 5 Mar — add your cards"
    assert subjects["lead@example.com"] == "[PAY] Retro on Fri 6 Mar — add your cards"


def test_teams_in_different_time_zones_are_reminded_at_their_own_local_time(db, clock):
    tokyo = make_team(name="Tokyo", slug="tyo", time_zone="Asia/Tokyo")
    lima = make_team(name="Lima", slug="lim", time_zone="America/Lima")
    # Both retros at 10:00 local on Thu 5 March: 01:00 UTC in Tokyo, 15:00 UTC in Lima.
    make_retro(tokyo, starts_at=dt.datetime(2026, 3, 5, 1, 0, tzinfo=UTC), time_zone="Asia/Tokyo")
    make_retro(lima, starts_at=dt.datetime(2026, 3, 5, 15, 0, tzinfo=UTC), time_zone="America/Lima")
    clock.at(dt.datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    run_planner()
    assert [m.subject for m in mail.outbox] == ["[TYO] Retro on Thu 5 Mar — add your cards"]
    clock.at(dt.datetime(2026, 3, 2, 15, 0, tzinfo=UTC))
    run_planner()
    assert len(mail.outbox) == 2
    assert mail.outbox[1].subject == "[LIM] Retro on Thu 5 Mar — add your cards"


def test_the_retro_email_has_text_html_invite_action_items_and_unsubscribe_headers(
    people, clock, settings
):
    settings.SITE_URL = "https://teamlead.example.com"
    earlier = make_retro(people.team, starts_at=dt.datetime(2026, 2, 19, 14, 0, tzinfo=UTC))
    RetroActionItem.objects.create(retro=earlier, text="Fix the flaky deploy", owner=people.senior)
    RetroActionItem.objects.create(retro=earlier, text="Already done", status=ActionItemStatus.DONE)
    retro = make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    message = next(m for m in mail.outbox if m.to == ["member@example.com"])
    parsed = email.message_from_bytes(message.message().as_bytes(), policy=policy.default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    assert "Fix the flaky deploy" in text and "Fix the flaky deploy" in html
    assert "Already done" not in text
    assert "https://teamlead.example.com/t/pay/" in text
    unsubscribe = str(parsed["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<https://teamlead.example.com/notifications/unsubscribe/")
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert unsubscribe.strip("<>") in text
    invite = next(part for part in parsed.iter_attachments())
    assert invite.get_content_type() == "text/calendar"
    event = icalendar.Calendar.from_ical(invite.get_content()).walk("VEVENT")[0]
    assert event.decoded("dtstart") == retro.starts_at
    # The same event as the team's calendar feed has, so a calendar keeps one copy.
    assert str(event["uid"]) == f"retro-{retro.pk}@teamlead"
    assert event.decoded("dtend") == retro.ends_at and str(event["status"]) == "CONFIRMED"


def test_a_moved_or_skipped_retro_is_not_reminded_for_its_old_date(people, clock):
    retro = make_retro(people.team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    plan = reminder_plan()
    retro.skipped = True
    retro.save()
    for pk in plan.send_ids:
        tasks.send_reminder(pk)
    assert mail.outbox == []
    assert set(Reminder.objects.values_list("state", flat=True)) == {ReminderState.SKIPPED}


def test_votes_due_go_to_eligible_members_who_have_not_voted(people, clock):
    from proposals.services.proposals import proposal_vote_cast
    from tests.factories import add_member

    approver = add_member(people.team)  # decides: no vote of theirs is due
    proposal = make_proposal(people.team, people.member, approver=approver, open_it=True, days=3)
    option = proposal.options.first()
    proposal_vote_cast(proposal=proposal, voter=people.lead, option_id=option.pk)
    clock.at(dt.datetime(2026, 3, 3, 8, 59, tzinfo=UTC))  # due 5 March 09:00: 48 h before
    run_planner()
    assert mail.outbox == []
    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    run_planner()
    assert sent_to() == ["member@example.com", "senior@example.com"]
    assert approver.email not in sent_to()
    assert (
        mail.outbox[0].subject == "[PAY] Vote by Thu 5 Mar at 10:00: DACI-1 Move sessions to Redis"
    )


def test_reviews_waiting_past_the_turnaround_remind_the_reviewer(people, clock):
    from tests.proposals.matrix_pages import build_page_world

    build_page_world(people)  # page 1, the senior asked to review
    clock.at(dt.datetime(2026, 3, 3, 8, 59, tzinfo=UTC))  # turnaround: 24 hours
    run_planner()
    assert mail.outbox == []
    clock.at(dt.datetime(2026, 3, 3, 9, 1, tzinfo=UTC))
    run_planner()
    assert sent_to() == ["senior@example.com"]
    assert mail.outbox[0].subject.startswith("[PAY] Review waiting: ")


def test_tickets_stuck_in_review_come_as_one_digest_per_person(people, clock):
    from tests.reminders.jira_helpers import stuck_ticket

    people.member.first_name, people.member.last_name = "Ada", "Lovelace"
    people.member.save()
    entered = dt.datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    stuck_ticket(people.team, key="PAY-1", assignee="Ada Lovelace", entered=entered)
    stuck_ticket(people.team, key="PAY-2", assignee="ada lovelace", entered=entered)
    stuck_ticket(people.team, key="PAY-3", assignee="Somebody Else", entered=entered)
    stuck_ticket(people.team, key="PAY-4", assignee="Ada Lovelace", entered=entered, status="Done")
    clock.at(dt.datetime(2026, 3, 2, 9, 1, tzinfo=UTC))
    run_planner()
    run_planner()
    assert sent_to() == ["lead@example.com", "member@example.com"]
    by_person = {m.to[0]: m for m in mail.outbox}
    assert by_person["member@example.com"].subject == (
        "[PAY] 2 tickets waiting in review past 24 h"
    )
    assert "PAY-3" in by_person["lead@example.com"].body
    assert "PAY-4" not in by_person["lead@example.com"].body


def test_the_planners_queries_do_not_grow_with_the_number_of_teams(db, clock, settings):
    # The first run's rows are still trusted to their send tasks five minutes later.
    settings.REMINDER_CLAIM_TIMEOUT = 600

    def teams_with_retros(count, offset):
        for i in range(count):
            team = make_team(name=f"Team {offset + i}", slug=f"t{offset + i}", lead=UserFactory())
            for _ in range(3):
                add_member(team, UserFactory())
            make_retro(team, starts_at=dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC))

    clock.at(dt.datetime(2026, 3, 3, 9, 0, tzinfo=UTC))
    teams_with_retros(2, 0)
    with CaptureQueriesContext(connection) as few:
        assert len(reminder_plan().send_ids) == 8
    teams_with_retros(10, 2)
    clock.at(dt.datetime(2026, 3, 3, 9, 5, tzinfo=UTC))
    with CaptureQueriesContext(connection) as many:
        assert len(reminder_plan().send_ids) == 40
    assert len(many) == len(few)


@pytest.mark.django_db
def test_beat_runs_the_planner_and_the_heartbeat():
    from django.conf import settings

    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"practices.tasks.plan_reminders", "practices.tasks.beat_heartbeat"} <= tasks_scheduled
