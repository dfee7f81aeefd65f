"""Where other apps plug into the team's practices, filled from their ``AppConfig.ready()``.

``practices`` never imports ``proposals``; what proposals knows about people (who drives
or approves what) reaches the members page through the roles registry below. Reminder
kinds have their own registry in ``practices.reminders.kinds``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser

from practices.models import Team


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
    it atomic and checks who may do it (``practices.services.member_roles_hand_over``)."""
    return sum(
        source.hand_over(team=team, from_user_id=from_user_id, to_user=to_user, actor=actor)
        for source in role_source_list()
    )
