"""Temporary shim (issue 12): moved to ``practices.teams.forms``. Deleted at the end of
issue 12."""

from practices.teams.forms import (  # noqa: F401
    AXES_USERNAME_MAX,
    COMMON_TIME_ZONES,
    MemberAddForm,
    MemberHandOverForm,
    MemberUpdateForm,
    PasswordResetForm,
    PersonalTimeZoneField,
    SignInForm,
    TeamForm,
    TeamSettingsForm,
    sign_in_username,
)
