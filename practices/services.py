"""Temporary shim (issue 12): the writes moved to ``practices.teams.services`` and
``practices.charter.services``. Deleted at the end of issue 12."""

from practices.charter.services import (  # noqa: F401
    CharterConflict,
    NothingChanged,
    charter_section_update,
)
from practices.teams.services import (  # noqa: F401
    _ensure_a_lead_remains,
    _user_for_email,
    member_roles_hand_over,
    membership_add,
    membership_remove,
    membership_update,
    team_create,
    team_update,
)
