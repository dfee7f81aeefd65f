"""The kinds of reminders, registered by the apps that know what is due."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from practices.models import Reminder, ReminderDelivery


@dataclass(frozen=True)
class Due:
    """One person due one reminder for one occasion, from ``send_at`` on."""

    kind: str
    team_id: int
    object_id: int
    user_id: int
    occasion: str
    send_at: datetime
    # Shown on the notifications page before the reminder is planned.
    summary: str = ""
    payload: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.kind, self.object_id, self.user_id, self.occasion)


@dataclass(frozen=True)
class Link:
    text: str
    url: str = ""


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: str
    mimetype: str


@dataclass(frozen=True)
class Message:
    """What one reminder says; the same parts make a single email or a digest entry."""

    subject: str
    heading: str
    lines: list[str] = field(default_factory=list)
    items: list[Link] = field(default_factory=list)
    action: Link | None = None
    attachments: list[Attachment] = field(default_factory=list)


class Finder(Protocol):
    def __call__(
        self, *, now: datetime, until: datetime, team_ids: Iterable[int] | None = None
    ) -> list[Due]:
        """Everyone due a reminder of this kind at some time up to ``until``.

        ``now`` bounds what is still relevant (a retro that started is not reminded);
        ``team_ids`` narrows to some teams (the notifications page), None is every team.
        Runs a fixed number of queries, whatever the number of teams.
        """


Renderer = Callable[[list[Reminder]], dict[int, Message]]


@dataclass(frozen=True)
class Kind:
    key: str
    label: str
    description: str
    find: Finder
    render: Renderer
    default_delivery: str = ReminderDelivery.NOW
    # The team roles a person must still hold when the reminder is sent (not only when it
    # was planned); None: any member of the team. Someone who left gets nothing either way.
    roles: tuple[str, ...] | None = None


_KINDS: dict[str, Kind] = {}


def kind_register(kind: Kind) -> None:
    """Adds a kind (from an app's ``ready()``); registering the same key again replaces it."""
    _KINDS[kind.key] = kind


def kind_list() -> list[Kind]:
    return list(_KINDS.values())


def kind_get(key: str) -> Kind | None:
    return _KINDS.get(key)
