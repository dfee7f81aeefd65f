"""Temporary shim (issue 12): moved to ``practices.teams.forms``. Deleted at the end of
issue 12."""

from practices.teams.forms import (  # noqa: F401
    NAME_HELP,
    InvitationAcceptForm,
    PasswordForm,
    ProfileForm,
)
