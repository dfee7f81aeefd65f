import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from practices.models import CharterSection, Retro
from practices.retros import services, tasks
from tests.factories import make_team, save_retro_cadence
from tests.retros.conftest import UTC, set_cadence, upcoming


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def starts(team) -> list[dt.datetime]:
    return [r.starts_at for r in upcoming(team)]


def test_retros_follow_the_cadence_and_keep_local_time_across_the_dst_change(people, clock):
    # Every 2 weeks on Thursday at 15:00 in Berlin; Berlin moves to summer time on 29 March.
    set_cadence(people.team, people.lead, every_weeks=2, weekday=3, start_time="15:00",
                time_zone="Europe/Berlin", duration_minutes=60)  # fmt: skip
    assert starts(people.team) == [
        utc(2026, 3, 5, 14),
        utc(2026, 3, 19, 14),
        utc(2026, 4, 2, 13),  # 15:00 CEST
        utc(2026, 4, 16, 13),
    ]
    assert {r.local_starts_at.strftime("%a %H:%M") for r in upcoming(people.team)} == {"Thu 15:00"}


def test_new_york_keeps_nine_oclock_when_its_clocks_go_forward(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=0, start_time="09:00",
                time_zone="America/New_York")  # fmt: skip
    # Monday 2 March 12:00 UTC is 07:00 in New York: that morning's retro is still ahead.
    assert starts(people.team)[:3] == [
        utc(2026, 3, 2, 14),
        utc(2026, 3, 9, 13),
        utc(2026, 3, 16, 13),
    ]


def test_weekday_is_the_local_one_across_the_date_line(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=4, start_time="09:00",
                time_zone="Pacific/Auckland")  # fmt: skip
    first = upcoming(people.team)[0]
    # Friday 09:00 in Auckland (UTC+13 in March) is Thursday 20:00 UTC.
    assert first.starts_at == utc(2026, 3, 5, 20)
    assert first.local_starts_at.strftime("%A %H:%M") == "Friday 09:00"


def test_a_horizon_of_four_upcoming_retros_is_kept(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    assert len(upcoming(people.team)) == services.RETRO_HORIZON


def test_scheduling_twice_changes_nothing(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    before = list(Retro.objects.values_list("pk", "slot_at", "starts_at"))
    services.retro_schedule(team=people.team)
    assert list(Retro.objects.values_list("pk", "slot_at", "starts_at")) == before


def test_beat_task_tops_up_the_horizon_as_retros_pass(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="10:00",
                time_zone="UTC")  # fmt: skip
    clock.move_to(utc(2026, 3, 13, 12))  # two retros held since
    assert len(upcoming(people.team)) == 2
    assert tasks.retro_schedule_teams() == 1
    assert starts(people.team) == [utc(2026, 3, 19, 10), utc(2026, 3, 26, 10),
                                   utc(2026, 4, 2, 10), utc(2026, 4, 9, 10)]  # fmt: skip
    assert tasks.retro_schedule_teams() == 0
    assert Retro.objects.filter(team=people.team).count() == 6


def test_changing_the_cadence_reschedules_upcoming_retros_and_never_held_ones(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="10:00",
                time_zone="UTC")  # fmt: skip
    held = upcoming(people.team)[0]
    clock.move_to(utc(2026, 3, 9, 8))
    set_cadence(people.team, people.lead, weekday=4, start_time="16:30", every_weeks=2)
    held.refresh_from_db()
    assert held.starts_at == utc(2026, 3, 5, 10)
    assert starts(people.team) == [utc(2026, 3, 13, 16, 30), utc(2026, 3, 27, 16, 30),
                                   utc(2026, 4, 10, 16, 30), utc(2026, 4, 24, 16, 30)]  # fmt: skip


def test_cards_added_ahead_move_with_their_retro_when_the_cadence_changes(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    next_retro = upcoming(people.team)[0]
    services.retro_card_add(
        retro=next_retro, author=people.member, column="ideas", text="Keep me", anonymous=False
    )
    set_cadence(people.team, people.lead, weekday=1)
    assert upcoming(people.team)[0].cards.get().text == "Keep me"


def test_a_moved_retro_moves_alone_and_keeps_its_move_when_rescheduled(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="10:00",
                time_zone="UTC")  # fmt: skip
    second = upcoming(people.team)[1]
    services.retro_move(retro=second, starts_at=utc(2026, 3, 13, 9))
    set_cadence(people.team, people.lead, duration_minutes=90)
    assert starts(people.team) == [utc(2026, 3, 5, 10), utc(2026, 3, 13, 9),
                                   utc(2026, 3, 19, 10), utc(2026, 3, 26, 10)]  # fmt: skip
    second.refresh_from_db()
    assert second.moved and second.duration_minutes == 90


def test_a_skipped_retro_stays_skipped_and_the_next_ones_stay(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    first, second = upcoming(people.team)[:2]
    services.retro_skip(retro=first, skipped=True)
    services.retro_schedule(team=people.team)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.skipped and not second.skipped


def test_a_retro_cannot_be_moved_into_the_past_or_once_started(people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="10:00",
                time_zone="UTC")  # fmt: skip
    first = upcoming(people.team)[0]
    with pytest.raises(ValidationError):
        services.retro_move(retro=first, starts_at=utc(2026, 3, 1, 10))
    clock.move_to(first.starts_at + dt.timedelta(minutes=5))
    with pytest.raises(ValidationError):
        services.retro_move(retro=first, starts_at=utc(2026, 3, 6, 10))
    with pytest.raises(ValidationError):
        services.retro_skip(retro=first, skipped=True)


def test_lead_moves_a_retro_in_its_own_local_time(client_for, people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="15:00",
                time_zone="Europe/Berlin")  # fmt: skip
    first = upcoming(people.team)[0]
    url = reverse("practices:retro_move", args=["pay", first.pk])
    response = client_for(people.lead).post(url, {"starts_at": "2026-03-06T11:00"})
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.starts_at == utc(2026, 3, 6, 10) and first.moved


def test_moving_to_the_past_shows_the_reason_next_to_the_field(client_for, people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    first = upcoming(people.team)[0]
    url = reverse("practices:retro_move", args=["pay", first.pk])
    response = client_for(people.lead).post(url, {"starts_at": "2020-01-01T10:00"})
    assert response.status_code == 200
    assert "Choose a time in the future." in response.content.decode()


def test_lead_skips_and_unskips_a_retro(client_for, people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    first = upcoming(people.team)[0]
    url = reverse("practices:retro_skip", args=["pay", first.pk])
    client = client_for(people.lead)
    client.post(url, {"skipped": "on"})
    first.refresh_from_db()
    assert first.skipped
    client.post(url, {"skipped": ""})
    first.refresh_from_db()
    assert not first.skipped


@pytest.mark.parametrize("name", ["retro_move", "retro_skip"])
def test_member_cannot_move_or_skip(client_for, people, clock, name):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, time_zone="UTC")
    first = upcoming(people.team)[0]
    url = reverse(f"practices:{name}", args=["pay", first.pk])
    response = client_for(people.member).post(
        url, {"starts_at": "2026-03-06T11:00", "skipped": "on"}
    )
    assert response.status_code == 403
    first.refresh_from_db()
    assert not first.skipped and not first.moved


def test_a_new_team_books_no_retro_until_a_lead_saves_the_cadence(people, clock):
    team = make_team(lead=people.lead, slug="ops")
    services.retro_schedule(team=team)
    tasks.retro_schedule_team(team.pk)
    tasks.retro_schedule_teams()
    assert upcoming(team) == []

    # Saving the defaults as they are is the team agreeing to them.
    save_retro_cadence(team, people.lead)
    assert len(upcoming(team)) == services.RETRO_HORIZON
    assert CharterSection.objects.get(team=team, key="retros").version == 1


def test_the_beat_task_books_only_teams_whose_cadence_is_agreed(people, clock):
    agreed = make_team(lead=people.lead, slug="ops")
    save_retro_cadence(agreed, people.lead, weekday=1)
    Retro.objects.filter(team=agreed).delete()
    assert tasks.retro_schedule_teams() == 1
    assert len(upcoming(agreed)) == services.RETRO_HORIZON
    assert upcoming(people.team) == []


def test_the_retro_list_tells_a_lead_how_to_set_the_cadence(client_for, people, clock):
    page = client_for(people.lead).get(reverse("practices:retros", args=["pay"]))
    edit = reverse("practices:charter_section_edit", args=["pay", "retros"])
    assert "No retro cadence agreed yet." in page.text
    assert f'href="{edit}"' in page.text and "Set the retro cadence" in page.text
    assert f'href="{reverse("practices:charter", args=["pay"])}#retros"' in page.text


def test_the_retro_list_tells_a_member_the_lead_has_not_set_the_cadence(client_for, people, clock):
    page = client_for(people.member).get(reverse("practices:retros", args=["pay"]))
    assert "Your lead has not set the retro cadence yet." in page.text
    assert "Set the retro cadence" not in page.text


def test_retro_list_shows_upcoming_and_held_retros(client_for, people, clock):
    set_cadence(people.team, people.lead, every_weeks=1, weekday=3, start_time="10:00",
                time_zone="UTC")  # fmt: skip
    clock.move_to(utc(2026, 3, 6, 12))
    page = client_for(people.member).get(reverse("practices:retros", args=["pay"]))
    body = page.content.decode()
    assert "Thu 12 Mar" in body and "Thu 5 Mar 2026" in body
    assert "Skip" not in body  # lead controls only
