"""Retros' attention source: the open action items a person owns, for the coming inbox."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext

from practices.models import ActionItemStatus, RetroActionItem
from practices.registries import attention_item_list
from practices.retros.attention import action_item_attention_list
from tests.factories import make_team


def _item(retro, owner, text, *, due_date=None, status=ActionItemStatus.OPEN):
    return RetroActionItem.objects.create(
        retro=retro, text=text, owner=owner, due_date=due_date, status=status
    )


def test_a_person_sees_the_open_action_items_they_own_soonest_due_first(people, retro):
    later = _item(retro, people.member, "Write the runbook", due_date=dt.date(2026, 3, 20))
    undated = _item(retro, people.member, "Ask support about the queue")
    sooner = _item(retro, people.member, "Fix the flaky deploy", due_date=dt.date(2026, 3, 10))
    _item(retro, people.lead, "Someone else's item")
    _item(retro, people.member, "Already done", status=ActionItemStatus.DONE)

    items = action_item_attention_list(user=people.member, teams=[people.team])

    assert [item.title for item in items] == [sooner.text, later.text, undated.text]
    first = items[0]
    assert first.kind == "action_item"
    assert first.team_id == people.team.pk
    assert first.url == retro.get_absolute_url()
    assert first.key == f"retro-action-item:{sooner.pk}"
    # Late once the due day is over in the team's time zone (Berlin, UTC+1 in March).
    assert first.due_at == dt.datetime(2026, 3, 10, 23, 0, tzinfo=dt.UTC)
    assert items[2].due_at is None


def test_only_the_teams_asked_about_count(people, retro):
    _item(retro, people.member, "In Payments")
    other = make_team(lead=people.lead, name="Search", slug="search")

    assert action_item_attention_list(user=people.member, teams=[other]) == []
    assert len(action_item_attention_list(user=people.member, teams=[people.team, other])) == 1


def test_the_action_items_take_one_query_however_many_there_are(people, retro):
    _item(retro, people.member, "One")
    with CaptureQueriesContext(connection) as few:
        assert len(action_item_attention_list(user=people.member, teams=[people.team])) == 1
    for n in range(10):
        _item(retro, people.member, f"More {n}")
    with CaptureQueriesContext(connection) as many:
        assert len(action_item_attention_list(user=people.member, teams=[people.team])) == 11
    assert len(few) == len(many) == 1


def test_the_practices_app_registers_the_action_items_as_attention_items(people, retro):
    item = _item(retro, people.member, "Registered")
    keys = [a.key for a in attention_item_list(user=people.member, teams=[people.team])]
    assert f"retro-action-item:{item.pk}" in keys
