"""Temporary shim (issue 12): the reads moved to ``practices.teams.selectors`` and
``practices.charter.selectors``. Deleted at the end of issue 12."""

from practices.charter.selectors import (  # noqa: F401
    charter_revision_at,
    charter_revision_get,
    charter_revision_list,
    charter_revisions_since,
    charter_section_get,
    charter_section_list,
)
from practices.teams.selectors import (  # noqa: F401
    PersonRoles,
    hand_over_choices,
    member_open_roles,
    membership_get_for_user,
    membership_list_for_team,
    membership_list_for_user,
    membership_takes_part,
)
