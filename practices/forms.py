"""Temporary shim (issue 12): moved to ``practices.teams.forms``. Deleted at the end of
issue 12, once tests/test_dates.py and tests/test_hostile_input.py (owned by neither
practice) import ``practices.teams.forms``."""

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
