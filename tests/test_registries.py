"""The doors other apps plug into: the same key replaces, readers keep the sources' order."""

import pytest
from django.core.exceptions import PermissionDenied

from practices import registries
from practices.models import CONTRIBUTING_ROLES, Membership, Role
from practices.teams.selectors import membership_takes_part
from practices.web import contributor_required, lead_required
from tests.factories import UserFactory, make_team


@pytest.fixture
def empty_doors(monkeypatch):
    """Every registry starts empty and is put back afterwards (apps registered into them)."""
    for name in (
        "_RETRO_PROMPT_SOURCES",
        "_CALENDAR_SOURCES",
        "_DEMO_LOADERS",
        "_CHARTER_ACTIONS",
        "_ATTENTION_SOURCES",
    ):
        monkeypatch.setattr(registries, name, {})


def _prompt(title):
    return lambda *, retro, previous: registries.RetroPrompt(title=title, empty="", rows=[])


def test_retro_prompts_come_in_order_and_a_source_may_show_nothing(empty_doors):
    register = registries.retro_prompt_source_register
    register(registries.RetroPromptSource(key="b", order=20, collect=_prompt("Second")))
    register(registries.RetroPromptSource(key="a", order=10, collect=_prompt("First")))
    hidden = registries.RetroPromptSource(key="c", order=5, collect=lambda **kw: None)
    register(hidden)
    prompts = registries.retro_prompt_list(retro=None, previous=None)
    assert [prompt.title for prompt in prompts] == ["First", "Second"]


def test_registering_a_key_again_replaces_the_entry(empty_doors):
    register = registries.retro_prompt_source_register
    register(registries.RetroPromptSource(key="a", order=10, collect=_prompt("Old")))
    register(registries.RetroPromptSource(key="a", order=10, collect=_prompt("New")))
    prompts = registries.retro_prompt_list(retro=None, previous=None)
    assert [prompt.title for prompt in prompts] == ["New"]


def test_calendar_events_come_from_every_source_in_order(empty_doors):
    def events(*names):
        return lambda *, team, stamp, absolute: [absolute(name) for name in names]

    registries.calendar_source_register(registries.CalendarSource("late", 30, events("c")))
    registries.calendar_source_register(registries.CalendarSource("early", 10, events("a", "b")))
    listed = registries.calendar_event_list(team=None, stamp=None, absolute=str.upper)
    assert listed == ["A", "B", "C"]


def test_demo_loaders_charter_actions_and_attention_sources_are_listed(empty_doors):
    loaded = []
    registries.demo_loader_register(
        registries.DemoLoader("x", 1, lambda *, team, people: loaded.append(people))
    )
    for loader in registries.demo_loader_list():
        loader.load(team=None, people={"lead": "Lena"})
    assert loaded == [{"lead": "Lena"}]

    action = registries.CharterAction("propose", "Propose", "Vote first", "proposals:list")
    registries.charter_action_register(action)
    assert registries.charter_action_list() == [action]

    item = registries.AttentionItem("vote", 1, "DACI-1", "Your vote", "/t/pay/", None, "v1")
    registries.attention_source_register(
        registries.AttentionSource("votes", lambda *, user, teams: [item])
    )
    assert registries.attention_item_list(user=None, teams=[]) == [item]


@pytest.mark.django_db
def test_leads_and_members_take_part_and_observers_only_read():
    team = make_team()
    people = {role: UserFactory() for role in Role}
    for role, user in people.items():
        Membership.objects.create(team=team, user=user, role=role)
    assert set(CONTRIBUTING_ROLES) == {Role.LEAD, Role.MEMBER}
    for role, user in people.items():
        membership = Membership.objects.get(team=team, user=user)
        taking_part = role != Role.OBSERVER
        assert membership.takes_part is taking_part
        assert membership_takes_part(team_id=team.pk, user=user) is taking_part
        if taking_part:
            contributor_required(membership)
        else:
            with pytest.raises(PermissionDenied, match="Observers read the board"):
                contributor_required(membership, why="Observers read the board.")
        if role == Role.LEAD:
            lead_required(membership)
        else:
            with pytest.raises(PermissionDenied, match="Only the team's leads can do that"):
                lead_required(membership)
    assert not membership_takes_part(team_id=team.pk, user=UserFactory())
