"""A retro that changes after its invite went out updates everyone's calendar, once.

The invite and its updates are one event (same UID) with a rising SEQUENCE: a move
(by a lead, or by a new cadence) sends METHOD:REQUEST, a skip METHOD:CANCEL, and the
email says what changed instead of asking for cards a second time.
"""

import datetime as dt
import email
from email import policy

import icalendar
from django.core import mail
from django.test import Client
from django.urls import reverse

from practices.models import Reminder, ReminderState
from practices.reminders.delivery import reminder_send
from practices.reminders.planner import reminder_plan
from practices.retros import services
from tests.factories import save_retro_cadence
from tests.reminders.helpers import make_retro, run_planner, sent_to

UTC = dt.UTC
MEMBERS = ["lead@example.com", "member@example.com", "senior@example.com"]
WEDNESDAY = dt.datetime(2026, 3, 4, 14, 0, tzinfo=UTC)  # 15:00 in Berlin
THURSDAY = dt.datetime(2026, 3, 5, 14, 0, tzinfo=UTC)


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def invite_of(message) -> tuple[icalendar.Calendar, icalendar.Event]:
    part = next(p for p in parsed(message).iter_attachments())
    assert part.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(part.get_content())
    return calendar, calendar.walk("VEVENT")[0]


def text_of(message) -> str:
    return parsed(message).get_body(("plain",)).get_content()


def for_member(outbox):
    return next(m for m in outbox if m.to == ["member@example.com"])


def invited(people, clock, starts_at=WEDNESDAY):
    """A retro whose invite went to everyone (the planner runs after its send time)."""
    retro = make_retro(people.team, starts_at=starts_at)
    retro.team = people.team
    run_planner()
    assert sent_to() == MEMBERS
    first = for_member(mail.outbox)
    mail.outbox.clear()
    return retro, first


def test_a_moved_retro_sends_one_update_with_the_same_uid_and_a_higher_sequence(people, clock):
    retro, first = invited(people, clock)
    _, before = invite_of(first)
    clock.at(dt.datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    services.retro_move(retro=retro, starts_at=THURSDAY)

    run_planner()
    assert sent_to() == MEMBERS
    update = for_member(mail.outbox)
    calendar, after = invite_of(update)
    assert str(calendar["method"]) == "REQUEST"
    assert str(after["uid"]) == str(before["uid"]) == f"retro-{retro.pk}@teamlead"
    assert after.decoded("sequence") > before.decoded("sequence")
    assert after.decoded("dtstamp") > before.decoded("dtstamp")
    assert after.decoded("dtstart") == THURSDAY and str(after["status"]) == "CONFIRMED"

    # Run again, and again: each person has it once.
    assert run_planner() == [] and run_planner() == []
    assert len(mail.outbox) == 3
    assert Reminder.objects.filter(object_id=retro.pk, state=ReminderState.SENT).count() == 6


def test_the_update_says_moved_from_to_in_the_teams_time_zone_not_add_your_cards(people, clock):
    retro, _ = invited(people, clock)
    services.retro_move(retro=retro, starts_at=THURSDAY)
    run_planner()
    update = for_member(mail.outbox)
    assert update.subject == "[PAY] Retro moved to Thu 5 Mar 15:00"
    text = text_of(update)
    assert "moved from Wed 4 Mar 15:00 to Thu 5 Mar 15:00 (Europe/Berlin)" in text
    assert "Payments retro" in text and "Payments's" not in text
    assert "add your cards" not in (update.subject + text).lower()


def test_a_skipped_retro_sends_a_cancel_and_the_feed_agrees(people, clock):
    retro, first = invited(people, clock)
    _, before = invite_of(first)
    services.retro_skip(retro=retro, skipped=True)
    run_planner()
    assert sent_to() == MEMBERS
    cancel = for_member(mail.outbox)
    calendar, event = invite_of(cancel)
    assert str(calendar["method"]) == "CANCEL"
    assert str(event["status"]) == "CANCELLED"
    assert str(event["uid"]) == str(before["uid"])
    assert event.decoded("sequence") > before.decoded("sequence")
    assert cancel.subject == "[PAY] Retro on Wed 4 Mar cancelled"
    assert "add your cards" not in text_of(cancel).lower()

    token = services.team_calendar_rotate(team=people.team).token
    feed = icalendar.Calendar.from_ical(
        Client().get(reverse("team_calendar_feed", args=[token])).content
    )
    in_feed = next(e for e in feed.walk("VEVENT") if str(e["uid"]) == str(event["uid"]))
    assert in_feed.decoded("sequence") == event.decoded("sequence")
    assert str(in_feed["status"]) == "CANCELLED"

    assert run_planner() == []
    assert len(mail.outbox) == 3


def test_a_skip_taken_back_sends_the_retro_again_with_a_higher_sequence(people, clock):
    retro, _ = invited(people, clock)
    services.retro_skip(retro=retro, skipped=True)
    run_planner()
    mail.outbox.clear()
    services.retro_skip(retro=retro, skipped=False)
    run_planner()
    calendar, event = invite_of(for_member(mail.outbox))
    assert str(calendar["method"]) == "REQUEST" and str(event["status"]) == "CONFIRMED"
    assert event.decoded("sequence") == 2
    assert for_member(mail.outbox).subject == "[PAY] Retro on Wed 4 Mar 15:00 is back on"


def test_a_new_cadence_that_moves_the_retro_updates_the_invite(people, clock):
    save_retro_cadence(
        people.team, people.lead, every_weeks=1, weekday=2, start_time="15:00",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    retro = people.team.retros.order_by("starts_at").first()
    assert retro.starts_at == WEDNESDAY
    run_planner()
    assert sent_to() == MEMBERS
    mail.outbox.clear()

    save_retro_cadence(people.team, people.lead, weekday=3)
    retro.refresh_from_db()
    assert retro.starts_at == THURSDAY and retro.sequence == 1
    run_planner()
    assert sent_to() == MEMBERS
    text = text_of(for_member(mail.outbox))
    assert "moved from Wed 4 Mar 15:00 to Thu 5 Mar 15:00" in text


def test_nobody_gets_an_update_for_a_retro_whose_invite_had_not_gone_yet(people, clock):
    later = dt.datetime(2026, 3, 19, 14, 0, tzinfo=UTC)
    retro = make_retro(people.team, starts_at=later)
    services.retro_move(retro=retro, starts_at=later + dt.timedelta(days=1))
    run_planner()
    assert mail.outbox == []
    # When its time comes, the invite carries the retro as it now is.
    clock.at(dt.datetime(2026, 3, 17, 14, 0, tzinfo=UTC))
    run_planner()
    message = for_member(mail.outbox)
    assert message.subject == "[PAY] Retro on Fri 20 Mar — add your cards"
    assert invite_of(message)[1].decoded("sequence") == 1
    assert len(mail.outbox) == 3


def test_two_moves_before_the_planner_runs_send_one_update_from_what_people_hold(people, clock):
    retro, _ = invited(people, clock)
    services.retro_move(retro=retro, starts_at=WEDNESDAY + dt.timedelta(hours=1))
    services.retro_move(retro=retro, starts_at=THURSDAY)
    run_planner()
    assert len(mail.outbox) == 3
    assert "moved from Wed 4 Mar 15:00 to Thu 5 Mar 15:00" in text_of(for_member(mail.outbox))


def test_a_move_undone_before_the_planner_runs_sends_nothing(people, clock):
    retro, _ = invited(people, clock)
    services.retro_move(retro=retro, starts_at=THURSDAY)
    services.retro_move(retro=retro, starts_at=WEDNESDAY)
    run_planner()
    assert mail.outbox == []


def test_an_update_planned_before_another_change_is_dropped_for_the_newer_one(people, clock):
    retro, _ = invited(people, clock)
    services.retro_move(retro=retro, starts_at=THURSDAY)
    plan = reminder_plan()
    services.retro_skip(retro=retro, skipped=True)
    run_planner()  # sends the cancellation
    for pk in plan.send_ids:  # the stale "moved" update, delivered late
        reminder_send(reminder_id=pk)
    assert {m.subject for m in mail.outbox} == {"[PAY] Retro on Thu 5 Mar cancelled"}
    assert len(mail.outbox) == 3


def test_two_planners_and_a_redelivered_task_still_send_each_update_once(people, clock):
    retro, _ = invited(people, clock)
    services.retro_move(retro=retro, starts_at=THURSDAY)
    first, second = reminder_plan(), reminder_plan()
    assert len(first.send_ids) == 3 and second.send_ids == []
    for pk in first.send_ids:
        assert reminder_send(reminder_id=pk) is True
        assert reminder_send(reminder_id=pk) is False
    assert sent_to() == MEMBERS


def test_a_retro_the_cadence_drops_after_its_invite_went_is_cancelled_not_deleted(people, clock):
    save_retro_cadence(
        people.team, people.lead, every_weeks=1, weekday=3, start_time="15:00",
        time_zone="Europe/Berlin",
    )  # fmt: skip
    # One retro more than the horizon, off the cadence, whose invite went out.
    extra, _ = invited(people, clock, starts_at=WEDNESDAY)
    services.retro_schedule(team=people.team)
    extra.refresh_from_db()
    assert extra.skipped and extra.sequence == 1
    run_planner()
    assert {m.subject for m in mail.outbox} == {"[PAY] Retro on Wed 4 Mar cancelled"}
    assert len(mail.outbox) == 3


def test_the_invite_names_the_team_without_a_possessive(people, clock):
    _, first = invited(people, clock)
    text = text_of(first)
    assert "The Payments retro is on Wed 4 Mar at 15:00" in text
    assert "'s retro" not in text


def test_two_leads_acting_on_one_retro_at_once_each_raise_the_sequence(people, clock):
    retro, _ = invited(people, clock)
    # Both leads opened the retro before either acted: each holds the same copy.
    seen_by_one, seen_by_other = (type(retro).objects.get(pk=retro.pk) for _ in range(2))
    services.retro_skip(retro=seen_by_one, skipped=True)
    services.retro_move(retro=seen_by_other, starts_at=THURSDAY)
    retro.refresh_from_db()
    # The move came second, from a stale copy: it still counts as a change of its own,
    # so calendars that got the cancellation get the retro back.
    assert retro.sequence == 2
    assert (retro.skipped, retro.starts_at) == (False, THURSDAY)
