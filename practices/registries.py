"""Where other apps plug into the team's practices, filled from their ``AppConfig.ready()``.

``practices`` never imports ``proposals``; what proposals knows reaches the practices'
pages through these doors: people in roles (members page), retro prompts (the board),
calendar events (the team's feed), demo data (``load_demo``), actions on a charter section
(the section editor) and attention items (the coming inbox). Reminder kinds have their own
registry in ``practices.reminders.kinds``.

Every door works the same way: a frozen dataclass, ``*_register(x)`` where the same key
replaces the old entry (so a reloaded ``ready()`` does not add it twice), and a reader that
goes through the entries sorted by ``order`` where the order shows on a page.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from practices.models import Retro, Team


@dataclass(frozen=True)
class OpenRole:
    """A role someone holds on something still in progress: "drives DACI-4"."""

    user_id: int
    what: str  # "drives", "approves"
    code: str  # "DACI-4", "Design #2"
    title: str
    url: str


@dataclass(frozen=True)
class RoleSource:
    """Something that names people in roles: lists them for a team, and reassigns them.

    ``list`` returns every open role held in the team, in a fixed number of queries.
    ``hand_over`` moves every open role ``from_user_id`` holds in the team to ``to_user``,
    records it where the thing keeps its history (acted by ``actor``), and returns how
    many roles moved. It runs inside the caller's transaction.
    """

    key: str
    list: Callable[..., list[OpenRole]]
    hand_over: Callable[..., int]


_ROLE_SOURCES: dict[str, RoleSource] = {}


def role_source_register(source: RoleSource) -> None:
    """Adds a source (from an app's ``ready()``); the same key again replaces it."""
    _ROLE_SOURCES[source.key] = source


def role_source_list() -> list[RoleSource]:
    return list(_ROLE_SOURCES.values())


def open_role_list(*, team: Team) -> list[OpenRole]:
    """Every open role held in the team, from every source."""
    return [role for source in role_source_list() for role in source.list(team=team)]


def open_roles_hand_over(
    *, team: Team, from_user_id: int, to_user: AbstractBaseUser, actor: AbstractBaseUser
) -> int:
    """Asks every source to hand ``from_user_id``'s roles to ``to_user``; the caller makes
    it atomic and checks who may do it (``practices.teams.services.member_roles_hand_over``)."""
    return sum(
        source.hand_over(team=team, from_user_id=from_user_id, to_user=to_user, actor=actor)
        for source in role_source_list()
    )


# Retro prompts: what the board opens with, besides its own open action items.


@dataclass(frozen=True)
class RetroPrompt:
    """One prompt card on the retro board.

    ``rows`` are rendered one by one through ``row_template`` (which gets ``row``);
    ``more`` is how many rows were left out ("and N more."); ``empty`` is shown when
    there are no rows.
    """

    title: str
    empty: str
    rows: list[Any]
    more: int = 0
    row_template: str = ""


@dataclass(frozen=True)
class RetroPromptSource:
    """``collect(*, retro, previous)`` returns the prompt, or None when it is not shown."""

    key: str
    order: int
    collect: Callable[..., RetroPrompt | None]


_RETRO_PROMPT_SOURCES: dict[str, RetroPromptSource] = {}


def retro_prompt_source_register(source: RetroPromptSource) -> None:
    """Adds a source (from an app's ``ready()``); the same key again replaces it."""
    _RETRO_PROMPT_SOURCES[source.key] = source


def retro_prompt_list(*, retro: Retro, previous: Retro | None) -> list[RetroPrompt]:
    """The prompts for ``retro`` in the sources' order, leaving out those not shown."""
    sources = sorted(_RETRO_PROMPT_SOURCES.values(), key=lambda source: source.order)
    prompts = (source.collect(retro=retro, previous=previous) for source in sources)
    return [prompt for prompt in prompts if prompt is not None]


# Calendar sources: the events of a team's calendar feed.


@dataclass(frozen=True)
class CalendarSource:
    """``events(*, team, stamp, absolute)`` returns ``icalendar.Event`` objects.

    ``stamp`` is the feed's DTSTAMP; ``absolute`` turns a path into a full address
    (``request.build_absolute_uri``), for the events' URL.
    """

    key: str
    order: int
    events: Callable[..., list]


_CALENDAR_SOURCES: dict[str, CalendarSource] = {}


def calendar_source_register(source: CalendarSource) -> None:
    """Adds a source (from an app's ``ready()``); the same key again replaces it."""
    _CALENDAR_SOURCES[source.key] = source


def calendar_event_list(*, team: Team, stamp: dt.datetime, absolute: Callable[[str], str]) -> list:
    """Every source's events for ``team``, in the sources' order."""
    sources = sorted(_CALENDAR_SOURCES.values(), key=lambda source: source.order)
    return [
        event
        for source in sources
        for event in source.events(team=team, stamp=stamp, absolute=absolute)
    ]


# Demo loaders: what ``manage.py load_demo`` adds to the demo team besides the practices.


@dataclass(frozen=True)
class DemoLoader:
    """``load(*, team, people)``; ``people`` is keyed lead/senior/dev1/dev2/observer."""

    key: str
    order: int
    load: Callable[..., None]


_DEMO_LOADERS: dict[str, DemoLoader] = {}


def demo_loader_register(loader: DemoLoader) -> None:
    """Adds a loader (from an app's ``ready()``); the same key again replaces it."""
    _DEMO_LOADERS[loader.key] = loader


def demo_loader_list() -> list[DemoLoader]:
    return sorted(_DEMO_LOADERS.values(), key=lambda loader: loader.order)


# Charter actions: other ways to change a charter section, offered in its editor.


@dataclass(frozen=True)
class CharterAction:
    """A submit button in the section editor, posting the form to ``url_name``.

    The URL is reversed with the team's slug and the section's key.
    """

    key: str
    label: str
    title: str
    url_name: str
    order: int = 0


_CHARTER_ACTIONS: dict[str, CharterAction] = {}


def charter_action_register(action: CharterAction) -> None:
    """Adds an action (from an app's ``ready()``); the same key again replaces it."""
    _CHARTER_ACTIONS[action.key] = action


def charter_action_list() -> list[CharterAction]:
    return sorted(_CHARTER_ACTIONS.values(), key=lambda action: action.order)


# Attention items: what waits for a person, gathered for the coming inbox.


@dataclass(frozen=True)
class AttentionItem:
    """Something waiting for a person: a vote, a decision, a review, an action item."""

    kind: str
    team_id: int
    title: str
    reason: str
    url: str
    due_at: dt.datetime | None
    key: str


@dataclass(frozen=True)
class AttentionSource:
    """``list(*, user, teams)`` returns the user's items in a fixed number of queries."""

    key: str
    list: Callable[..., list[AttentionItem]]
    order: int = 0


_ATTENTION_SOURCES: dict[str, AttentionSource] = {}


def attention_source_register(source: AttentionSource) -> None:
    """Adds a source (from an app's ``ready()``); the same key again replaces it."""
    _ATTENTION_SOURCES[source.key] = source


def attention_item_list(*, user: AbstractBaseUser, teams: list[Team]) -> list[AttentionItem]:
    """Every source's items for ``user`` in ``teams``."""
    sources = sorted(_ATTENTION_SOURCES.values(), key=lambda source: source.order)
    return [item for source in sources for item in source.list(user=user, teams=teams)]
