"""Temporary shim (issue 12): the pages moved to ``practices.teams.views`` and
``practices.charter.views``. Deleted at the end of issue 12."""

from practices.charter.views import (  # noqa: F401
    HISTORY_PAGE_SIZE,
    _conflict_context,
    _section_saved,
    _section_warning,
    charter,
    charter_compare,
    charter_history,
    charter_section,
    charter_section_edit,
)
from practices.teams import selectors  # noqa: F401
from practices.teams.views import (  # noqa: F401
    _warn_left_behind,
    _warn_review_policy,
    home,
    member_hand_over,
    member_remove,
    member_update,
    members,
    team_create,
    team_menu,
    team_settings,
)
from practices.web import form_errors_apply as _apply_errors  # noqa: F401
from practices.web import lead_required as _require_lead  # noqa: F401
