"""Temporary shim (issue 12): moved to ``practices.teams.services``. Deleted at the end
of issue 12."""

from practices.teams.services import (  # noqa: F401
    EMAIL_TAKEN,
    _name_store,
    user_name_set,
    user_profile_update,
)
